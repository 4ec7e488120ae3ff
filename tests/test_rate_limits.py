"""Rate limits are declared on the views that need them (sign-in, invitations) and hold there;
other pages are not limited, unless an app-wide limit is configured, which then applies to
every page."""

import pytest

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
