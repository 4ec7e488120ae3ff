"""Every route that takes `next` sends people only to this site, whatever a browser would make
of the target: known open-redirect bypasses, fed to each route, never leave; CR/LF never 500."""

from urllib.parse import quote, urljoin, urlsplit

import pyotp
import pytest

from coregroup.redirects import local_target
from tests.conftest import PASSWORD, make_user

BYPASSES = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "\x01/\\evil.example",
    "/%09/evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "HTTPS://evil.example",
    "http:/\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/\ud800/evil.example",
    "\r\nSet-Cookie: stolen=1",
    "/ok\r\nSet-Cookie: stolen=1",
]


def quoted(target: str) -> str:
    return quote(target.encode("utf-8", "surrogatepass"), safe="")


def stays_here(location: str) -> bool:
    """What a browser does with the Location header: tabs and line breaks removed, backslashes
    read as slashes, leading spaces and controls dropped; then resolved against this site."""
    read = location.strip("".join(chr(c) for c in range(0x21)))
    read = read.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    resolved = urlsplit(urljoin("http://localhost/", read))
    return resolved.netloc == "localhost" and resolved.scheme == "http"


@pytest.mark.parametrize("target", BYPASSES)
def test_the_helper_refuses_every_known_bypass(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", ["/cases", "/cases/1/plan?lang=cy", "/invitation/abc-DEF_1"])
def test_the_helper_keeps_our_own_pages(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", BYPASSES)
def test_choosing_a_language_never_leaves_the_site(client, target):
    response = client.get(f"/language/en_GB?next={quoted(target)}")
    assert response.status_code == 302
    assert stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", BYPASSES)
def test_signing_in_never_leaves_the_site(app, client, db, target):
    family = make_user(professional=False)
    response = client.post(
        f"/sign-in?next={quoted(target)}",
        data={"email": family.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", BYPASSES[::3])
def test_the_second_factor_never_leaves_the_site(app, client, db, target):
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    secret = pyotp.random_base32()
    user = make_user(totp_secret=secret)
    first = client.post(
        f"/sign-in?next={quoted(target)}",
        data={"email": user.email, "password": PASSWORD},
    )
    assert first.headers["Location"].startswith("/sign-in/code")
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert stays_here(response.headers["Location"]), response.headers["Location"]


def test_a_good_next_is_followed(client, db):
    family = make_user(professional=False)
    response = client.post(
        "/sign-in?next=%2Fcases%3Flang%3Dcy", data={"email": family.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/cases?lang=cy"
