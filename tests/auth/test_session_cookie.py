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
    cookie = client.get_cookie("session").value
    assert page(client.get("/cases")).html["lang"] == "en-GB"
    welsh = client.get("/cases?lang=cy")  # kept in this browser's session
    assert page(welsh).html["lang"] == "cy"
    assert client.get_cookie("session").value != cookie
    assert page(client.get("/cases")).html["lang"] == "cy"
    # The cookie from before the choice still reads as it did.
    before = app.test_client()
    before.set_cookie("session", cookie)
    assert page(before.get("/cases")).html["lang"] == "en-GB"
