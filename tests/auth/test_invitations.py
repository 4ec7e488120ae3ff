"""Family invitations: a single-use, expiring link; then the family member's own passcode."""

import datetime as dt

import pytest

from coregroup.models import Invitation, Member
from tests.conftest import page

PASSCODE = "blue kettle morning walk"


@pytest.fixture
def invited(client, planned, db):
    """Sam invites a new parent, Nadia, who has no account yet; returns (case, token path)."""
    case, members = planned
    nadia = Member(
        case_id=case.id, name="Nadia Hassan", role="carer", email="nadia@example.com", language="ar"
    )
    db.session.add(nadia)
    db.session.commit()
    response = client.post(f"/cases/{case.id}/members/{nadia.id}/invite")
    assert response.status_code == 200
    link = page(response).select_one("#invitation-link").get_text(strip=True)
    client.post("/sign-out")
    return case, nadia, link.split("localhost", 1)[1]


def test_an_invitation_sets_up_a_passcode_and_shows_only_that_case(client, invited, db):
    case, nadia, path = invited
    html = page(client.get(path))
    # The invitation opens in the invited person's language: Nadia's is Arabic, right to left.
    assert (html.html["lang"], html.html["dir"]) == ("ar", "rtl")
    assert html.select_one("h1").get_text(strip=True) not in ("", "Set up your passcode")
    english = page(client.get(path + "?lang=en_GB"))
    assert english.select_one("h1").get_text(strip=True) == "Set up your passcode"
    assert db.session.query(Invitation).one().token_hash not in path, "only a hash is stored"
    response = client.post(path, data={"passcode": PASSCODE, "again": PASSCODE})
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert nadia.user is not None and not nadia.user.professional
    assert nadia.user.preferred_language == "ar"
    assert client.get(f"/cases/{case.id}/plan").status_code == 200
    assert client.get(f"/cases/{case.id}/plan/aims/aims").status_code == 404
    client.post("/sign-out")
    assert (
        client.post(
            "/sign-in", data={"email": "nadia@example.com", "password": PASSCODE}
        ).status_code
        == 302
    )


def test_an_invitation_works_once(client, invited):
    case, nadia, path = invited
    client.post(path, data={"passcode": PASSCODE, "again": PASSCODE})
    client.post("/sign-out")
    again = client.get(path + "?lang=en_GB")
    assert again.status_code == 410
    assert "This invitation link does not work" in page(again).text
    assert "It has been used already" in page(client.get(path + "?lang=en_GB")).text


def test_an_expired_invitation_does_not_work(client, invited, db):
    case, nadia, path = invited
    invitation = db.session.query(Invitation).one()
    invitation.expires_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
    db.session.commit()
    expired = client.get(path + "?lang=en_GB")
    assert expired.status_code == 410
    assert "It is too old" in page(expired).text


def test_a_tampered_invitation_does_not_work(client, invited):
    case, nadia, path = invited
    assert client.get(path[:-2] + ("aa" if not path.endswith("aa") else "bb")).status_code == 404


def test_a_weak_or_mismatched_passcode_is_refused_and_nothing_is_made(client, invited, db):
    case, nadia, path = invited
    client.get(path + "?lang=en_GB")  # she chooses English over the language of the invitation
    weak = client.post(path, data={"passcode": "password1", "again": "password1"})
    assert weak.status_code == 400 and nadia.user is None
    mismatch = client.post(path, data={"passcode": PASSCODE, "again": PASSCODE + "x"})
    assert "The two passcodes are not the same" in page(mismatch).text
