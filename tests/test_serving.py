"""How the app is served: gunicorn's preloaded master, forked workers, and what each request
costs (the figures are `make bench`'s; these check the behaviour behind them)."""

from __future__ import annotations

import gc
import os

from flask_babel import get_babel

from coregroup import create_app
from coregroup.extensions import db as _db
from coregroup.warmup import TEMPLATE_SUFFIXES, warm
from tests.conftest import fresh_g_per_request, make_case, make_member, make_user, sign_in


def test_a_forked_worker_never_uses_its_parents_database_connection(app, db):
    """gunicorn forks its workers from a master that imported (and may have used) the app:
    a worker must open its own connection, never talk through the master's."""
    db.session.execute(db.select(1))
    parent_record = db.session.connection().connection._connection_record
    assert parent_record.info["pid"] == os.getpid()
    db.session.commit()  # the connection goes back to the pool, to be handed out again

    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            with app.app_context():
                connection = db.session.connection().connection
                ours = connection._connection_record.info["pid"] == os.getpid()
                db.session.execute(db.select(1))
                code = 0 if ours else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child used the parent's connection"
    # The parent's own connection still works.
    assert db.session.execute(db.select(1)).scalar() == 1


def test_the_master_compiles_every_template_and_loads_every_language_before_forking(
    database_uri, monkeypatch
):
    """gunicorn.conf.py's when_ready: a worker's first pages compile nothing."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri)
    fresh_g_per_request(app)
    frozen_before = gc.get_freeze_count()
    try:
        with app.app_context():
            _db.create_all()
            done = warm(app)
            names = app.jinja_env.list_templates(
                filter_func=lambda n: n.endswith(TEMPLATE_SUFFIXES)
            )
            assert done["templates"] == len(names) > 50
            assert gc.get_freeze_count() > frozen_before
            loaded = {locale for locale, _domain in get_babel(app).instance.domain_instance.cache}
            assert loaded >= {code.replace("-", "_") for code in app.config["LANGUAGES"]}

            loads = []
            loader = app.jinja_env.loader
            original = loader.load

            def load(environment, name, globals=None):
                loads.append(name)
                return original(environment, name, globals)

            monkeypatch.setattr(loader, "load", load)
            case = make_case()
            parent = make_user(name="Pat Parent", professional=False)
            make_member(case, parent, role="parent", ref="m-pat")
            client = app.test_client()
            assert client.get("/sign-in").status_code == 200
            sign_in(client, parent)
            assert client.get(f"/cases/{case.id}/plan/read").status_code == 200
            assert client.get("/cases").status_code == 200
            assert loads == []
            _db.session.remove()
            _db.engine.dispose()
    finally:
        gc.unfreeze()


def test_a_phone_that_changes_network_stays_signed_in_and_keeps_its_cookie(client, signed_in):
    """Wi-Fi to mobile data changes the address (and a browser update, its name): the session
    is checked on the server, so nothing about it changes and no new cookie is sent."""
    case, _user, _member = signed_in
    url = f"/cases/{case.id}/plan/read"
    client.get(url)  # the page's own CSRF token is put in the session once
    moved = client.get(
        url,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        headers={"User-Agent": "Another browser/2.0"},
    )
    assert moved.status_code == 200
    assert "Set-Cookie" not in moved.headers


def test_only_postgresql_connections_are_tested_before_use(app, db):
    """A pooled PostgreSQL connection may have been dropped by a restart (tests/test_faults.py
    shows the recovery); a SQLite file cannot drop one, so it is not asked on every request."""
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is (db.engine.dialect.name == "postgresql")
