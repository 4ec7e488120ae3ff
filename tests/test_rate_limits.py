"""Rate limits are declared on the views that need them (sign-in, invitations) and hold there;
other pages are not limited, unless an app-wide limit is configured, which then applies to
every page."""

import pytest
import requests

from coregroup import create_app
from coregroup.extensions import db as _db
from coregroup.extensions import limiter
from tests.conftest import page


def _app(database_uri, **config):
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        RATELIMIT_ENABLED=True,
        COREGROUP_SIGN_IN_LIMIT="3 per minute",
        **config,
    )
    with app.app_context():
        _db.create_all()
    return app


def _codes(app, method: str, path: str, times: int, **kwargs) -> list[int]:
    client = app.test_client()
    return [client.open(path, method=method, **kwargs).status_code for _n in range(times)]


def test_limits_on_views_hold_and_other_pages_are_not_limited(database_uri):
    app = _app(database_uri)
    try:
        sign_in = {"email": "a@b.c", "password": "x"}
        assert _codes(app, "POST", "/sign-in", 4, data=sign_in) == [400, 400, 400, 429]
        refused = app.test_client().post("/sign-in", data=sign_in)
        assert "Too many tries" in page(refused).text
        # An invitation's passcode form: ten tries a minute, even with a wrong link.
        assert _codes(app, "POST", "/invitation/not-a-token", 11)[-2:] == [404, 429]
        # Pages without a limit of their own are never limited.
        assert set(_codes(app, "GET", "/rules", 30)) == {200}
    finally:
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def no_default_limits_afterwards():
    # Flask-Limiter keeps a configured default on its (shared) limiter: later apps must not
    # inherit the one configured below.
    yield
    limiter.limit_manager.set_default_limits([])


def test_an_app_wide_limit_applies_to_every_page(database_uri, no_default_limits_afterwards):
    app = _app(database_uri, RATELIMIT_DEFAULT="2 per minute")
    try:
        assert _codes(app, "GET", "/rules", 3) == [200, 200, 429]
    finally:
        with app.app_context():
            _db.engine.dispose()


# --- Across processes: a shared Redis, closed when it cannot be reached ----------------------


@pytest.fixture
def redis_server():
    from tests.servers import ThrowawayRedis

    server = ThrowawayRedis()
    yield server
    server.stop()


def _sign_in_tries(base: str, times: int) -> list[int]:
    return [
        requests.post(
            f"{base}/sign-in", data={"email": "a@b.c", "password": "x"}, allow_redirects=False
        ).status_code
        for _n in range(times)
    ]


def test_two_app_processes_share_one_sign_in_limit_through_redis(database_uri, redis_server):
    """Three tries a minute from one address, whichever process answers them."""
    from tests.servers import AppProcess

    app = _app(database_uri)  # the tables
    config = {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_server.uri,
        "COREGROUP_SIGN_IN_LIMIT": "3 per minute",
    }
    first, second = AppProcess(**config), AppProcess(**config)
    try:
        codes = [
            *_sign_in_tries(first.base, 1),
            *_sign_in_tries(second.base, 1),
            *_sign_in_tries(first.base, 1),
            *_sign_in_tries(second.base, 1),
            *_sign_in_tries(first.base, 1),
        ]
        assert codes == [400, 400, 400, 429, 429]
    finally:
        first.stop()
        second.stop()
        with app.app_context():
            _db.engine.dispose()


def test_when_redis_cannot_be_reached_sign_in_is_refused_not_open(database_uri, redis_server):
    app = _app(database_uri, RATELIMIT_STORAGE_URI=redis_server.uri)
    try:
        client = app.test_client()
        assert client.post("/sign-in", data={"email": "a@b.c", "password": "x"}).status_code == 400
        redis_server.stop()
        for _n in range(5):  # never counted per process, never let through
            refused = client.post("/sign-in", data={"email": "a@b.c", "password": "x"})
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "30"
            assert "Try again shortly" in page(refused).text
        # Pages without a limit are served as ever.
        assert client.get("/sign-in").status_code == 200
        assert client.get("/rules").status_code == 200
    finally:
        with app.app_context():
            _db.engine.dispose()


def test_production_refuses_a_store_of_its_own_per_process(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    key = tmp_path / "audit.pem"
    key.write_text("a key")
    production = {
        "SECRET_KEY": "k" * 40,
        "COREGROUP_AUDIT_KEY_FILE": str(key),
        "COREGROUP_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints"),
    }
    # memory://, written any way, or left empty (an unset ${REDIS_URL}): each process alone.
    for storage in ("memory://", "MEMORY://", "", "  ", "async+memory://"):
        with pytest.raises(RuntimeError, match="4 app processes would each count sign-in"):
            create_app(
                "production", COREGROUP_WORKERS=4, RATELIMIT_STORAGE_URI=storage, **production
            )
    for workers, hosts in ((0, 1), (1, 0)):
        with pytest.raises(RuntimeError, match="must be 1 or more"):
            create_app(
                "production",
                COREGROUP_WORKERS=workers,
                COREGROUP_APP_HOSTS=hosts,
                RATELIMIT_STORAGE_URI="memory://",
                **production,
            )
    with pytest.raises(RuntimeError, match="cannot be read"):
        missing = {**production, "COREGROUP_AUDIT_KEY_FILE": str(tmp_path / "no-such-key.pem")}
        create_app("production", COREGROUP_WORKERS=1, RATELIMIT_STORAGE_URI="memory://", **missing)
    with pytest.raises(RuntimeError, match="2 app processes"):
        create_app(
            "production",
            COREGROUP_WORKERS=1,
            COREGROUP_APP_HOSTS=2,
            RATELIMIT_STORAGE_URI="memory://",
            **production,
        )
    app = create_app(
        "production", COREGROUP_WORKERS=1, RATELIMIT_STORAGE_URI="memory://", **production
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"  # one process: its own is shared
