"""Flask extensions, created unbound and bound to the app in create_app()."""

from contextvars import ContextVar

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
# Set while a transaction must take SQLite's write lock from its start (BEGIN IMMEDIATE).
write_lock: ContextVar[bool] = ContextVar("write_lock", default=False)
# Set while a transaction only records that a page was read: on SQLite it commits without
# waiting for the disk (WAL, synchronous=NORMAL). An application crash still loses nothing; a
# power cut could lose such an event if no change was saved after it. Changes always wait.
lightly_durable: ContextVar[bool] = ContextVar("lightly_durable", default=False)
migrate = Migrate()
csrf = CSRFProtect()
compress = Compress()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)


def check_limits_only_where_declared(app) -> None:
    """Flask-Limiter checks, before every request, the app-wide, default and blueprint limits;
    a limit declared on a view (`@limiter.limit`) is checked by that view's own wrapper, with or
    without the before-request check. Core Group's limits are all declared on views (sign-in,
    second factor, invitations), so on every other request that check has nothing to do and
    costs about 0.1 ms (4 % of the family plan page under load, py-spy). It is left out only
    while no limit needs it: configure an app-wide or default limit and it stays."""
    manager = limiter.limit_manager
    configured = ("RATELIMIT_APPLICATION", "RATELIMIT_DEFAULT", "RATELIMIT_META")
    if (
        not app.config["RATELIMIT_ENABLED"]  # then Flask-Limiter added no check at all
        or any(app.config.get(name) for name in configured)
        or manager.application_limits
        or manager.default_limits
        or getattr(manager, "_blueprint_limits", None)
    ):
        return
    # Raises ValueError if a new Flask-Limiter registers its check differently: a loud start-up
    # failure (and a failing test), never a limit silently skipped.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
