"""Who gets in, and what they learn on the way: an invitation never links an existing account
on its own and a new one retires the older; administrators always need a second factor; a
locked or stale half sign-in cannot finish; codes typed in other scripts are read; kept answers
go back to their owner only; polling keeps no idle session alive; odd patches are 4xx; a family
member is not told which professional section is open."""

import datetime as dt

import pyotp

from coregroup.auth import needs_second_factor
from coregroup.models import Member, PendingSubmission, UserSession
from tests.conftest import PASSWORD, make_user, page, sign_in


def test_an_invitation_never_links_an_existing_account_on_its_own(client, planned, db, app):
    """Whoever holds the link proves nothing: the account's owner signs in, in this browser,
    and adds the case to their account themselves."""
    case, members = planned
    existing = make_user(email="already@example.com", professional=False)
    carer = Member(case_id=case.id, name="Cara", role="carer", email="already@example.com")
    db.session.add(carer)
    db.session.commit()
    response = client.post(f"/cases/{case.id}/members/{carer.id}/invite")
    path = (
        page(response).select_one("#invitation-link").get_text(strip=True).split("localhost", 1)[1]
    )
    client.post("/sign-out")
    # Someone holding the link, not signed in: asked to sign in; nothing is linked.
    held = client.post(path, data={"passcode": "green lamp river stone", "again": "green lamp"})
    assert held.status_code == 400
    sign_in_link = page(held).select_one("main a.govuk-link")["href"]
    assert sign_in_link.startswith("/sign-in?next=")
    assert client.get("/cases").status_code == 302, "not signed in by the invitation"
    assert carer.user_id is None
    # Someone else, signed in with another account, cannot take it either.
    sign_in(client, members["layla"].user)
    other = client.get(path)
    assert "someone else" in page(other).select_one("main").get_text()
    assert client.post(path).status_code == 400
    db.session.refresh(carer)
    assert carer.user_id is None
    client.post("/sign-out")
    # The owner signs in from the link's page, comes back to it, and accepts.
    signed = client.post(sign_in_link, data={"email": existing.email, "password": PASSWORD})
    assert signed.headers["Location"] == path
    accepted = client.post(path)
    assert accepted.headers["Location"] == f"/cases/{case.id}"
    db.session.refresh(carer)
    assert carer.user_id == existing.id
    assert client.get(path).status_code == 410, "used"


def test_a_new_invitation_retires_the_older_one(client, planned, db):
    case, _ = planned
    carer = Member(case_id=case.id, name="Cara", role="carer", email="cara@example.com")
    db.session.add(carer)
    db.session.commit()
    links = []
    for _n in range(2):
        html = page(client.post(f"/cases/{case.id}/members/{carer.id}/invite"))
        links.append(
            html.select_one("#invitation-link").get_text(strip=True).split("localhost", 1)[1]
        )
    client.post("/sign-out")
    assert client.get(links[0]).status_code == 410
    assert client.get(links[1]).status_code == 200


def test_administrators_always_need_the_second_factor(app, db):
    admin = make_user(is_admin=True, professional=False)
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    assert needs_second_factor(admin)


def test_a_locked_or_stale_half_sign_in_cannot_finish_with_a_code(client, app, db):
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    secret = pyotp.random_base32()
    user = make_user(totp_secret=secret)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    user.locked_until = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=5)
    db.session.commit()
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/sign-in"
    user.locked_until = None
    db.session.commit()
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        session["pending_at"] -= 6 * 60
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/sign-in", "five minutes to give the code"


def test_codes_in_other_scripts_are_read_not_a_500(client, app, db):
    app.config["COREGROUP_REQUIRE_SECOND_FACTOR"] = True
    secret = pyotp.random_base32()
    user = make_user(totp_secret=secret)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    arabic = pyotp.TOTP(secret).now().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.post("/sign-in/code", data={"code": arabic}).status_code == 302


def test_nobody_elses_kept_answers_and_no_ownerless_ones(client, planned, db, app):
    case, members = planned
    url = f"/cases/{case.id}/plan/professional-notes/notes"
    stranger = app.test_client()
    response = stranger.post(
        url, data={"professionalNotes": "forged"}, headers={"Origin": "http://localhost"}
    )
    assert "resume=" not in response.headers.get("Location", "")
    assert db.session.query(PendingSubmission).count() == 0, "no owner: nothing kept"
    db.session.query(UserSession).filter_by(user_id=members["sam"].user_id).update(
        {"ended_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    )
    db.session.commit()
    kept = client.post(
        url, data={"professionalNotes": "Hidden address"}, headers={"Origin": "http://localhost"}
    )
    resume_id = kept.headers["Location"].split("resume=")[1]
    layla = app.test_client()
    signed = layla.post(
        f"/sign-in?resume={resume_id}",
        data={"email": members["layla"].user.email, "password": PASSWORD},
    )
    assert signed.headers["Location"] == "/cases", "not someone else's kept answers"
    assert layla.get(f"/resume/{resume_id}").status_code == 404


def test_polling_does_not_keep_an_idle_session_alive(client, signed_in, db):
    case, user, _ = signed_in
    row = db.session.query(UserSession).one()
    row.last_seen_at -= dt.timedelta(minutes=29)
    db.session.commit()
    before = row.last_seen_at
    client.get(f"/cases/{case.id}/plan/live")
    db.session.refresh(row)
    assert row.last_seen_at == before


def test_odd_patch_input_is_4xx(client, planned):
    case, _ = planned
    url = f"/api/v1/cases/{case.id}/plan"
    for tag in ('"plan-1-²"', '"plan-1-' + "9" * 25 + '"'):
        assert (
            client.patch(
                url,
                json={"aims": "x"},
                headers={"If-Match": tag, "Content-Type": "application/merge-patch+json"},
            ).status_code
            == 412
        )
    etag = client.get(url).headers["ETag"]
    deep = "[" * 5000 + "]" * 5000
    response = client.patch(
        url, data=deep, headers={"If-Match": etag, "Content-Type": "application/json-patch+json"}
    )
    assert response.status_code == 400
    typed = client.patch(
        url,
        json=[{"op": "add", "path": "/needs/0/whatMustChange", "value": {"x": 1}}],
        headers={"If-Match": etag, "Content-Type": "application/json-patch+json"},
    )
    assert typed.status_code == 422 and typed.get_json()["field"] == "/needs/0/whatMustChange"


def test_a_family_member_is_not_told_which_professional_section_is_open(client, planned, app):
    case, members = planned
    client.get(f"/cases/{case.id}/plan/professional-notes/notes")
    layla = app.test_client()
    sign_in(layla, members["layla"].user)
    others = layla.get(f"/cases/{case.id}/plan/live").get_json()["others"]
    assert others and all(o["section"] is None and o["sectionTitle"] is None for o in others)
