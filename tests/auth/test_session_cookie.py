"""The signed session cookie, kept per process once verified (coregroup/cookies.py): never a
way round its signature, and never shared between requests."""

from flask import sessions

from tests.conftest import page


def _verifications(monkeypatch) -> list:
    """Every session cookie Flask verifies and decodes."""
    verified = []

    class Counted(sessions.URLSafeTimedSerializer):
        def loads(self, s, *args, **kwargs):
            verified.append(s)
            return super().loads(s, *args, **kwargs)

    monkeypatch.setattr(sessions, "URLSafeTimedSerializer", Counted)
    return verified


def test_a_cookie_is_verified_once_and_a_changed_one_in_full(client, signed_in, app, monkeypatch):
    client.get("/cases")  # the first page adds the form token's secret: a new cookie
    verified = _verifications(monkeypatch)
    cookie = client.get_cookie("session").value
    assert client.get("/cases").status_code == 200
    assert client.get("/cases").status_code == 200
    assert verified == [cookie]

    # The same cookie with its signature changed by one character is refused.
    forged = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    other = app.test_client()
    other.set_cookie("session", forged)
    assert other.get("/cases").status_code == 302
    assert verified == [cookie, forged]


def test_what_a_request_changes_in_its_session_never_reaches_another(client, signed_in, app):
    client.get("/cases")  # the first page adds the form token's secret: a new cookie
    cookie = client.get_cookie("session").value
    assert page(client.get("/cases")).html["lang"] == "en-GB"  # this exact cookie is kept
    assert client.get_cookie("session").value == cookie
    welsh = client.get("/cases?lang=cy")  # changes this request's copy of it
    assert page(welsh).html["lang"] == "cy"
    assert client.get_cookie("session").value != cookie
    assert page(client.get("/cases")).html["lang"] == "cy"
    # The cookie from before the choice still reads as it did.
    before = app.test_client()
    before.set_cookie("session", cookie)
    assert page(before.get("/cases")).html["lang"] == "en-GB"


def test_a_session_holding_a_list_is_decoded_afresh_every_time(client, app, monkeypatch):
    """A message to show once is a list in the session: were it kept, every request sending
    the same cookie would add to the one list."""
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = serializer.dumps({"_flashes": [("message", "Shown once")]})
    verified = _verifications(monkeypatch)
    for _twice in range(2):
        browser = app.test_client()
        browser.set_cookie("session", cookie)
        assert page(browser.get("/sign-in")).text.count("Shown once") == 1
    assert verified == [cookie, cookie]


def test_a_cookie_kept_under_one_secret_key_is_refused_under_another(client, signed_in, app):
    client.get("/cases")
    assert client.get("/cases").status_code == 200  # verified and kept
    app.secret_key = "another-" + "k" * 40
    assert client.get("/cases").status_code == 302  # to sign in: verified again, and refused
