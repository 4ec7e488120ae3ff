"""After the meeting: the plan and minutes reach every member, through a real SMTP server."""

import pytest

from coregroup.models import Circulation
from tests.conftest import page, sign_in
from tests.meetings.test_views import record_people, record_rest, start


@pytest.fixture
def completed(client, planned, db):
    case, members = planned
    for key, member in members.items():
        member.email = f"{key}@example.test"
    members["daniel"].email = None  # no e-mail address: must be given the plan another way
    db.session.commit()
    base = start(client, case)
    record_people(client, base)
    record_rest(client, base)
    assert client.post(f"{base}/complete").status_code == 302
    return case, members, base


def test_every_member_with_an_address_is_emailed_a_link(client, completed, smtp, db):
    case, members, base = completed
    html = page(client.get(f"{base}/circulate"))
    assert "Every member must have them by" in html.text
    response = client.post(f"{base}/circulate")
    assert response.status_code == 302
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == sorted(f"{k}@example.test" for k in members if k != "daniel")
    body = smtp.messages[0].get_payload(decode=True).decode()
    assert f"/cases/{case.id}/meetings/2/minutes" in body
    assert "Amira" not in body, "no child's details in an e-mail"
    sent = db.session.query(Circulation).filter(Circulation.error.is_(None)).all()
    assert {c.method for c in sent} == {"email"} and len(sent) == 5
    html = page(client.get(f"{base}/circulate"))
    row = next(r for r in html.select("tbody tr") if "Daniel" in r.text)
    assert "Not sent yet" in row.text
    client.post(f"{base}/circulate", data={"method": "by-hand", "member": members["daniel"].id})
    row = next(
        r for r in page(client.get(f"{base}/circulate")).select("tbody tr") if "Daniel" in r.text
    )
    assert "By hand" in row.text
    client.post(f"{base}/circulate")
    assert len(smtp.messages) == 5, "nobody is sent it twice"


def test_without_a_mail_server_the_failure_is_recorded_not_hidden(client, completed, app, db):
    case, members, base = completed
    app.config["MAIL_SERVER"] = None
    client.post(f"{base}/circulate")
    failed = db.session.query(Circulation).all()
    assert failed and all(c.error for c in failed)
    html = page(client.get(f"{base}/circulate"))
    assert (
        "Not sent" in html.text and "No mail server is configured, so nothing was sent" in html.text
    )


def test_a_parent_confirms_receipt_and_says_why_they_disagree(client, completed, smtp, db):
    case, members, base = completed
    client.post(f"{base}/circulate")
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    response = client.post(f"{base}/receipt", data={"agrees": "no"})
    assert response.status_code == 400
    assert "Tell us what you do not agree with" in page(response).text
    response = client.post(
        f"{base}/receipt", data={"agrees": "no", "disagreement": "The visits are too late."}
    )
    assert response.status_code == 302
    mine = db.session.query(Circulation).filter_by(member_id=members["layla"].id).one()
    assert mine.received_at and mine.agrees is False
    assert mine.disagreement == "The visits are too late."
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    row = next(
        r for r in page(client.get(f"{base}/circulate")).select("tbody tr") if "Layla" in r.text
    )
    assert "Does not agree: The visits are too late." in row.text


def test_receipt_is_confirmed_without_saying_whether_one_agrees(client, completed, smtp, db):
    """Receiving the plan is not agreeing with it: the question is optional, nothing is chosen
    for the parent, and no answer leans towards yes."""
    case, members, base = completed
    client.post(f"{base}/circulate")
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    html = page(client.get(f"{base}/minutes"))
    choices = html.select("input[name=agrees]")
    assert [c["value"] for c in choices] == ["yes", "no", "unsaid"]
    assert not any(c.has_attr("checked") for c in choices), "no answer is chosen for them"
    legend = html.select_one("form[action$='/receipt'] legend").get_text(strip=True)
    assert "optional" in legend and "agree" not in legend.lower(), legend
    assert client.post(f"{base}/receipt", data={}).status_code == 302
    mine = db.session.query(Circulation).filter_by(member_id=members["layla"].id).one()
    assert mine.received_at and mine.agrees is None and mine.disagreement is None
    client.post("/sign-out")
    sign_in(client, members["sam"].user)
    row = next(
        r for r in page(client.get(f"{base}/circulate")).select("tbody tr") if "Layla" in r.text
    )
    assert "Did not say whether they agree" in row.text
