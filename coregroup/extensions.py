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
