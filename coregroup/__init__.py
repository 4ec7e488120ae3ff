"""Core Group: a child's core group writes, follows and reviews a child protection plan together."""

from __future__ import annotations

import json
import os
import secrets

from flask import (
    Flask,
    Request,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from coregroup import (
    audit,
    checkpoints,
    dueitems,  # noqa: F401 - its session hooks keep the dashboard's rows
    textpolicy,
    translation_review,
    unitofwork,
)
from coregroup.config import ROOT, finalise, settings
from coregroup.extensions import (
    babel,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)


def get_locale() -> str:
    """The language to use, in order: an explicit choice, the saved one, the browser's, English."""
    from flask import current_app
    from flask_login import current_user

    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return supported[0]  # commands and e-mails choose their language themselves
    # ?lang= is the pages' (a link that shows a page in another language); the API takes the
    # caller's Accept-Language or saved choice, and writes no cookie.
    chosen = None if request.path.startswith("/api/") else request.args.get("lang")
    if chosen in supported:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in supported:
        return session["lang"]
    if g.get("database_down"):
        return _browser_language(request.headers.get("Accept-Language", ""), tuple(supported))
    if g.get("invited_language") in supported:
        return g.invited_language
    if (
        current_user
        and current_user.is_authenticated
        and current_user.preferred_language in (supported)
    ):
        return current_user.preferred_language
    return _browser_language(request.headers.get("Accept-Language", ""), tuple(supported))


def _browser_language(accept_language: str, supported: tuple[str, ...]) -> str:
    """The best of `supported` for a browser's Accept-Language header, or the first."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(supported) or supported[0]


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout for SQLite, so readers never block the one writer."""
    if _is_sqlite(dbapi_connection):
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # A writer waits this long for another to finish (COREGROUP_LOCK_WAIT_SECONDS).
        seconds = current_app.config["COREGROUP_LOCK_WAIT_SECONDS"] if has_app_context() else 10
        cursor.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


@event.listens_for(Pool, "connect")
def _remember_process(dbapi_connection, connection_record):
    connection_record.info["pid"] = os.getpid()


@event.listens_for(Pool, "checkout")
def _never_a_parents_connection(dbapi_connection, connection_record, connection_proxy):
    """A process forked from one that had connected (gunicorn's preloaded master) opens its own.

    Two processes talking through one database connection corrupt each other's transactions.
    The parent's connection is left alone here (not closed: the parent still owns it).
    """
    if connection_record.info.get("pid", os.getpid()) != os.getpid():
        connection_record.dbapi_connection = connection_proxy.dbapi_connection = None
        raise exc.DisconnectionError("connection opened by another process")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """SQLite has one writer at a time, and cannot upgrade a reader to a writer once another
    has written (whatever the busy timeout). So a transaction that may write takes the write
    lock when it starts (BEGIN IMMEDIATE): a change, a command. A page that reads (GET, HEAD)
    reads in a plain transaction, sharing the database with the writer; its records (who read
    it, and the bookkeeping of coregroup.unitofwork) are written at its end in a short
    transaction of their own (`_commit`), so readers hold the lock only for that moment."""
    if connection.dialect.name != "sqlite":
        return
    reads = _reads_first()
    if reads and has_request_context():
        g.read_first = True
    connection.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _wrote_while_reading(connection, cursor, statement, parameters, context, executemany):
    """A page that only reads must not write before its end (see _sqlite_begin): noted here,
    so that its end commits what it wrote rather than dropping it."""
    if (
        has_request_context()
        and g.get("read_first")
        and not g.get("writing_now")
        and statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ):
        g.wrote_while_reading = True


def _reads_first() -> bool:
    if not has_request_context():
        return False
    if request.endpoint is None:  # no such page (404, 405): only its error page is read
        return request.method in ("GET", "HEAD")
    if g.get("unit_of_work_done"):
        # After the request's commit only reading is left (a streamed export, the chains'
        # ends for a checkpoint): never hold the write lock for as long as a stream lasts.
        return True
    if g.get("writing_now"):
        return False
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint)
    return request.method in ("GET", "HEAD") and not getattr(view, "writes", False)


def _commit_after_reading() -> None:
    """SQLite, a page that read in a plain transaction: end the read (nothing was written),
    then write its records in a short transaction holding the write lock."""
    session = db.session
    if g.get("wrote_while_reading") or session.new or session.dirty or session.deleted:
        session.commit()  # it wrote already (the lock was taken then): commit that as it is
        return
    queued = unitofwork.take(session)
    session.rollback()
    if queued:
        g.writing_now = True
        unitofwork.give(session, queued)
        session.commit()


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body we are sent may not repeat a key in one object (one of the two
    would be silently dropped) nor use NaN or Infinity (not JSON). Flask's own uses (the
    session's tagged JSON passes an object_hook) read as before."""

    def loads(self, s, **kwargs):
        if kwargs:
            return super().loads(s, **kwargs)
        return json.loads(s, object_pairs_hook=textpolicy.no_repeated_keys, parse_constant=_no_nan)


def _no_nan(name: str):
    raise ValueError(f"{name} is not JSON")


class PolicyRequest(Request):
    """Every JSON body is read through the text policy: NFC, bad characters and deep nesting
    refused (coregroup.textpolicy; coregroup.errors answers 422 or 400 naming the place)."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as deep:  # the parser's own limit, far deeper than ours
            raise textpolicy.TooDeep("") from deep
        return textpolicy.clean(value)


class CoreGroup(Flask):
    request_class = PolicyRequest
    json_provider_class = StrictJSONProvider

    def log_exception(self, exc_info) -> None:
        """Errors are logged by the error handler, without their messages (coregroup.errors)."""


class BoundedInt(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application: configuration, extensions, schemas and flows, blueprints."""
    config_name = config_name or os.environ.get("COREGROUP_ENV", "development")
    config = settings(config_name) | overrides
    app = CoreGroup(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=config["INSTANCE_PATH"],
    )
    # Numbers in URLs fit the database's integers; anything larger is simply not found (404).
    app.url_map.converters["int"] = BoundedInt
    app.config.update(config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    finalise(app.config)
    if "LANGUAGES" not in overrides:
        from coregroup.i18n import shipped

        app.config["LANGUAGES"] = shipped()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    proxies = app.config["COREGROUP_TRUSTED_PROXIES"]
    if proxies:
        # Client addresses (rate limits, audit) and https (secure cookies, HSTS) as the trusted
        # proxies saw them; a header added by anyone further out is ignored.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=get_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Sessions are ours, on the server (auth.load_user: ended, idle and absolute time-outs, one
    # per sign-in), so Flask-Login's "basic" protection has nothing to add: it would only mark
    # the session "not fresh" (nothing here asks for fresh sign-ins) whenever the address or
    # browser string changes, hashing both on every request and re-sending the cookie. "strong"
    # would sign out a parent whose phone moves from Wi-Fi to mobile data.
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from coregroup.flows import load_flows
    from coregroup.schema import SchemaRegistry

    schemas = SchemaRegistry(app.config["COREGROUP_SCHEMA_DIR"])
    app.extensions["coregroup.schemas"] = schemas
    app.extensions["coregroup.flows"] = load_flows(schemas, app.config["COREGROUP_FORMS_DIR"])

    from coregroup import (
        admin,
        auth,
        cli,
        errors,
        invitations,
        main,
        offline,
        resume,
        tasks,
        templating,
    )
    from coregroup.api.views import bp as api_bp
    from coregroup.cases import lifecycle  # noqa: F401  (its pages, on the cases blueprint)
    from coregroup.cases.views import bp as cases_bp
    from coregroup.meetings.views import bp as meetings_bp
    from coregroup.plans.views import bp as plans_bp
    from coregroup.rules.views import bp as rules_bp

    for blueprint in (
        main.bp,
        auth.bp,
        cases_bp,
        plans_bp,
        meetings_bp,
        rules_bp,
        api_bp,
        invitations.bp,
        resume.bp,
        admin.bp,
        offline.bp,
        tasks.bp,
    ):
        app.register_blueprint(blueprint)
    invitations.register_language(app)
    errors.register(app)
    templating.register(app)
    cli.register(app)
    translation_review.register_cli(app)

    @app.before_request
    def _remember_a_language_link():
        """A link with ?lang= chooses the language even when its page only redirects."""
        chosen = None if request.path.startswith("/api/") else request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            session["lang"] = chosen

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    from coregroup import tokens

    @app.before_request
    def _csrf():
        if app.config["WTF_CSRF_ENABLED"] and not (
            tokens.bearer() and request.path.startswith("/api/")
        ):
            csrf.protect(apply_exemptions=True)

    app.after_request(_security_headers)

    @app.after_request
    def _commit(response):
        """The request's one unit of work commits here, after its view (or its error page,
        which rolls back first: coregroup.errors) and before anything is sent. What the
        request recorded in the audit trail is written in the same commit (coregroup.audit)."""
        if not g.get("database_down"):
            try:
                if g.pop("read_first", False):
                    _commit_after_reading()
                else:
                    db.session.commit()
            except OperationalError as error:
                # The records could not be written (SQLite: another writer held the lock past
                # COREGROUP_LOCK_WAIT_SECONDS): the page is not sent without them.
                from coregroup.errors import busy_response, waited_too_long

                if not waited_too_long(error):
                    raise
                db.session.rollback()
                g.pop("writing_now", None)  # the page that says so only reads
                return app.make_response(busy_response(error))
            g.unit_of_work_done = True
            if db.session.info.pop(audit.WROTE, False):
                checkpoints.write_if_due()
        return response

    return app


def _security_headers(response):
    nonce = getattr(g, "csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.path.startswith("/static/dist/fp/"):
        # Fingerprinted (coregroup/assets.py): a changed file has a new name.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
