"""Configuration, read from the environment when an app is created, with safe defaults for the
embedded run."""

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path

from coregroup.textpolicy import load_stored

ROOT = Path(__file__).resolve().parent.parent


def default_workers() -> int:
    """gunicorn's workers unless COREGROUP_WORKERS says otherwise: two per core."""
    return (os.cpu_count() or 1) * 2


def _local_secret_key(instance: Path) -> str:
    """A random key kept in instance/, so the embedded run needs no configuration."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


NAMES = ("development", "test", "production")


def settings(name: str) -> dict:
    """The configuration called `name`, read from the environment now: when an app is created,
    never when this module is imported."""
    if name not in NAMES:
        raise KeyError(f"no configuration called {name!r}: one of {', '.join(NAMES)}")
    env = os.environ.get
    if env("COREGROUP_INSTANCE"):
        instance = Path(env("COREGROUP_INSTANCE"))
    elif name == "test":  # tests never write into the developer's instance/ folder
        instance = Path(tempfile.gettempdir()) / f"coregroup-test-instance-{os.getuid()}"
    else:
        instance = ROOT / "instance"
    absolute = dt.timedelta(hours=int(env("COREGROUP_ABSOLUTE_HOURS", "12")))
    config = {
        "ENV_NAME": name,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": env(
            "DATABASE_URL", f"sqlite:///{instance / 'coregroup.sqlite'}"
        ),
        # PostgreSQL: a pooled connection is tested before use, so a restarted server costs no
        # failed request (finalise: not for SQLite, a file that cannot drop a connection).
        # A stored document is read through the text policy (coregroup.textpolicy.load_stored), so
        # no stored text can turn a read into an error.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "json_deserializer": load_stored},
        "COREGROUP_JURISDICTION": env("COREGROUP_JURISDICTION", "guernsey"),
        # A plan page or an import is far smaller than this; anything larger is refused with 413.
        "MAX_CONTENT_LENGTH": int(env("COREGROUP_MAX_CONTENT_LENGTH", 1024 * 1024)),
        # CSRF tokens live as long as the session, so a long edit is never lost to token expiry.
        "WTF_CSRF_TIME_LIMIT": None,
        # Checked in create_app: every state-changing request, except an API call with a bearer
        # token (no cookies, so nothing for another site to forge).
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_I18N_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        "LANGUAGES": ["en_GB"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("COREGROUP_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SERVICE_NAME": "Core Group",
        "COREGROUP_REQUIRE_SECOND_FACTOR": env("COREGROUP_REQUIRE_SECOND_FACTOR", "1") == "1",
        "COREGROUP_IDLE_TIMEOUT": dt.timedelta(minutes=int(env("COREGROUP_IDLE_MINUTES", "30"))),
        "COREGROUP_ABSOLUTE_TIMEOUT": absolute,
        "PERMANENT_SESSION_LIFETIME": absolute,
        # The cookie is sent again only when the session changes: it lasts the absolute time-out
        # from sign-in anyway, and the server ends idle sessions itself (auth.load_user).
        "SESSION_REFRESH_EACH_REQUEST": False,
        # After a case closes, its members can still read it for this long (to read the
        # last minutes, to ask what happens next); then only its last lead social worker.
        "COREGROUP_CLOSED_READABLE_DAYS": int(env("COREGROUP_CLOSED_READABLE_DAYS", "90")),
        # How long a change waits for another change to the same case (or the same person's
        # draft) to finish before it is answered 503 with Retry-After, what was typed kept:
        # never a wait that runs on into the worker's time-out. The same for SQLite's writer.
        "COREGROUP_LOCK_WAIT_SECONDS": float(env("COREGROUP_LOCK_WAIT_SECONDS", "10")),
        # Reminders (flask reminders): each member this many working days before an action of
        # theirs is due (and once when it is overdue); every member this many before a core
        # group meeting (the notice, with the latest plan); the lead before a meeting or a
        # circulation falls due. The address links in e-mails point to.
        "COREGROUP_REMINDER_WORKING_DAYS": int(env("COREGROUP_REMINDER_WORKING_DAYS", "3")),
        "COREGROUP_NOTICE_WORKING_DAYS": int(env("COREGROUP_NOTICE_WORKING_DAYS", "5")),
        "COREGROUP_BASE_URL": env("COREGROUP_BASE_URL", "http://localhost:5000"),
        # The local authority's three-digit code (the census' LEA): the Children in Need census
        # XML needs it; a child's council id is published in FHIR under it.
        "COREGROUP_LA_CODE": env("COREGROUP_LA_CODE", ""),
        "COREGROUP_INVITATION_LIFETIME": dt.timedelta(
            hours=int(env("COREGROUP_INVITATION_HOURS", "168"))
        ),
        # Per client address. More than one app process (workers or hosts) shares one store, e.g.
        # redis://host:6379 (production refuses memory:// then: finalise). If that store cannot be
        # reached, the limited pages (sign-in, invitations) are refused with "try again shortly"
        # (coregroup.errors): closed, never open, and never counting per process.
        "COREGROUP_SIGN_IN_LIMIT": env("COREGROUP_SIGN_IN_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True, "socket_timeout": 2},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": False,
        "RATELIMIT_HEADERS_ENABLED": True,
        # How many app processes serve requests (gunicorn.conf.py reads the same), and on how many
        # hosts: with more than one in all, the limits need a shared store.
        "COREGROUP_WORKERS": int(env("COREGROUP_WORKERS", str(default_workers()))),
        "COREGROUP_APP_HOSTS": int(env("COREGROUP_APP_HOSTS", "1")),
        # How many proxies (load balancer, reverse proxy) stand in front of the app and are
        # trusted to say who the client is (X-Forwarded-For) and how it connected
        # (X-Forwarded-Proto, -Host, -Port): werkzeug's ProxyFix. 0 trusts no such header.
        "COREGROUP_TRUSTED_PROXIES": int(env("COREGROUP_TRUSTED_PROXIES", "0")),
        # Responses compressed for phones on slow connections (brotli, else gzip).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
            "image/svg+xml",
        ],
        # What 0 and 10 mean on the scaling tool (generic wording; set per deployment).
        "COREGROUP_SCALE_ZERO": env(
            "COREGROUP_SCALE_ZERO", "the child is not safe, and things must change now"
        ),
        "COREGROUP_SCALE_TEN": env(
            "COREGROUP_SCALE_TEN", "the child is safe and well, and the plan is no longer needed"
        ),
        "MAIL_SERVER": env("MAIL_SERVER"),
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_FROM": env("MAIL_FROM", "Core Group <no-reply@coregroup.example>"),
        "COREGROUP_SCHEMA_DIR": ROOT / "schemas",
        # Signed checkpoints of the audit chains (coregroup.checkpoints): the Ed25519 key that signs
        # them and the directory they go to, both outside the database (in production: set both,
        # the key readable by the app only, the directory shared by every app host). Defaults in
        # instance/ for the embedded run.
        "COREGROUP_AUDIT_KEY_FILE": env("COREGROUP_AUDIT_KEY_FILE"),
        "COREGROUP_AUDIT_VERIFY_KEY_FILE": env("COREGROUP_AUDIT_VERIFY_KEY_FILE"),
        "COREGROUP_AUDIT_CHECKPOINTS": env("COREGROUP_AUDIT_CHECKPOINTS"),
        "COREGROUP_AUDIT_CHECKPOINT_SECONDS": int(env("COREGROUP_AUDIT_CHECKPOINT_SECONDS", "60")),
        # Whether requests write the checkpoints (the first to record something once the newest
        # is old enough), or only `flask --app app audit checkpoint` from a timer: a checkpoint
        # reads every chain's end, which at national scale is tens of milliseconds a request
        # should not wait for.
        "COREGROUP_AUDIT_CHECKPOINT_BY_REQUESTS": env("COREGROUP_AUDIT_CHECKPOINT_BY_REQUESTS", "1")
        == "1",
        "COREGROUP_FORMS_DIR": ROOT / "forms",
    }
    if name == "test":
        config |= {
            "TESTING": True,
            "SECRET_KEY": "test-only-secret-key",
            "WTF_CSRF_ENABLED": False,
            "COREGROUP_FAST_HASHES": True,
            # Tests that are about these turn them back on.
            "COREGROUP_REQUIRE_SECOND_FACTOR": False,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": env("TEST_DATABASE_URL", "sqlite://"),
        }
    elif name == "production":
        config |= {"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}
    return config


def finalise(config: dict) -> None:
    """Fill in derived values and refuse an unsafe production configuration."""
    if config["ENV_NAME"] == "production":
        if not config.get("SECRET_KEY") or len(config["SECRET_KEY"]) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32+ characters.")
        if not config.get("SESSION_COOKIE_SECURE"):
            raise RuntimeError("Production needs HTTPS-only cookies (SESSION_COOKIE_SECURE).")
        if config["COREGROUP_WORKERS"] < 1 or config["COREGROUP_APP_HOSTS"] < 1:
            raise RuntimeError("COREGROUP_WORKERS and COREGROUP_APP_HOSTS must be 1 or more.")
        processes = config["COREGROUP_WORKERS"] * config["COREGROUP_APP_HOSTS"]
        storage = (config.get("RATELIMIT_STORAGE_URI") or "").strip()
        per_process = not storage or "memory" in storage.split("://")[0].lower()
        if processes > 1 and per_process:
            raise RuntimeError(
                f"{processes} app processes would each count sign-in tries alone: set "
                "RATELIMIT_STORAGE_URI to a store they share (redis://host:6379)."
            )
        if not (
            config.get("COREGROUP_AUDIT_KEY_FILE") and config.get("COREGROUP_AUDIT_CHECKPOINTS")
        ):
            raise RuntimeError(
                "Production needs COREGROUP_AUDIT_KEY_FILE (the key signing audit checkpoints) "
                "and COREGROUP_AUDIT_CHECKPOINTS (where they are written), both outside the "
                "database."
            )
        if not os.access(config["COREGROUP_AUDIT_KEY_FILE"], os.R_OK):
            raise RuntimeError(
                f"The audit key {config['COREGROUP_AUDIT_KEY_FILE']} cannot be read: make one "
                "(openssl genpkey -algorithm ed25519 -out FILE) readable by the app only."
            )
    instance = Path(config["INSTANCE_PATH"])
    if config["ENV_NAME"] != "production" and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _local_secret_key(instance)
    if not config.get("COREGROUP_AUDIT_KEY_FILE"):
        config["COREGROUP_AUDIT_KEY_FILE"] = str(instance / "audit-signing-key.pem")
    if config.get("COREGROUP_AUDIT_CHECKPOINTS") is None and config["ENV_NAME"] != "test":
        config["COREGROUP_AUDIT_CHECKPOINTS"] = str(instance / "audit-checkpoints")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_pre_ping": False,
        }
