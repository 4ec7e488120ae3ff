"""The signed session cookie: a changed cookie is refused, and a session's state is its own."""

import base64

from tests.conftest import page


def _flip_a_data_byte(cookie: str) -> str:
    """The cookie with one byte of its payload changed (not the signature's base64 padding bits,
    which can change a character without changing any byte)."""
    compressed = cookie.startswith(".")  # itsdangerous marks a compressed payload so
    payload, rest = cookie.lstrip(".").split(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[len(raw) // 2] ^= 0x01
    changed = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    return ("." if compressed else "") + changed + "." + rest


def test_a_cookie_with_a_byte_changed_is_refused(client, signed_in, app):
    cookie = client.get_cookie("session").value
    assert client.get("/cases").status_code == 200
    other = app.test_client()
    other.set_cookie("session", _flip_a_data_byte(cookie))
    assert other.get("/cases").status_code == 302  # to sign in: the signature does not match


def test_a_cookie_made_under_one_secret_key_is_refused_under_another(client, signed_in, app):
    assert client.get("/cases").status_code == 200
    app.secret_key = "another-" + "k" * 40
    assert client.get("/cases").status_code == 302


def test_a_language_chosen_in_one_request_stays_with_that_session(client, signed_in, app):
    client.get("/cases")
    cookie = client.get_cookie("session").value
    assert page(client.get("/cases?lang=cy")).html["lang"] == "cy"
    assert page(client.get("/cases")).html["lang"] == "cy"
    # The cookie from before the choice still reads as it did.
    before = app.test_client()
    before.set_cookie("session", cookie)
    assert page(before.get("/cases")).html["lang"] == "en-GB"
