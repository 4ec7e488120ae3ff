"""Everyone sees others' changes and who is where, by polling that costs a 304 when idle."""

from coregroup.models import AuditEvent, SetAside
from coregroup.plans import services
from tests.conftest import page, sign_in
from tests.factories import full_plan


def test_others_see_who_is_editing_which_section_and_newer_versions(client, planned, app, db):
    case, members = planned
    client.get(f"/cases/{case.id}/plan/needs/need-health/side")  # Sam is on "Needs and actions"
    priya = app.test_client()
    sign_in(priya, members["priya"].user)
    first = priya.get(f"/cases/{case.id}/plan/live")
    assert first.status_code == 200
    body = first.get_json()
    assert body["version"] == 1
    assert body["others"] == [
        {
            "name": "Sam",
            "role": "lead social worker",
            "section": "needs",
            "sectionTitle": "Needs and actions",
        }
    ]
    again = priya.get(
        f"/cases/{case.id}/plan/live", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    newer = full_plan()
    newer["aims"] = "Changed by Sam"
    services.write_version(case, members["sam"].user, newer)
    db.session.commit()
    changed = priya.get(
        f"/cases/{case.id}/plan/live", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    html = page(priya.get(f"/cases/{case.id}/plan"))
    assert "Sam (lead social worker) is editing Needs and actions" in html.select_one("#live").text


def test_polling_is_not_recorded_as_viewing_the_case(client, planned, db):
    case, _ = planned
    before = db.session.query(AuditEvent).count()
    for _n in range(3):
        client.get(f"/cases/{case.id}/plan/live")
    assert db.session.query(AuditEvent).count() == before


def test_any_version_can_be_restored_as_a_new_version(client, planned, db):
    case, members = planned
    second = full_plan()
    second["aims"] = "Second"
    services.write_version(case, members["sam"].user, second)
    db.session.commit()
    response = client.post(f"/cases/{case.id}/plan/versions/1/restore")
    assert response.status_code == 302
    latest = services.latest_version(case)
    assert latest.number == 3 and latest.document == full_plan()
    assert latest.note == "Restored from version 1"
    assert services.get_version(case, 2).document["aims"] == "Second", "nothing rewritten"


def test_an_answer_given_up_in_a_clash_is_kept(client, planned, db):
    case, members = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Mine"})
    other = full_plan()
    other["aims"] = "Theirs"
    services.write_version(case, members["priya"].user, other)
    db.session.commit()
    client.post(f"/cases/{case.id}/plan/save")
    client.post(f"/cases/{case.id}/plan/resolve", data={"keep": "theirs"})
    kept = db.session.query(SetAside).one()
    assert (kept.pointer, kept.value) == ("/aims", {"value": "Mine"})
    html = page(client.get(f"/cases/{case.id}/plan/versions"))
    assert "Answers set aside in a clash" in html.text and "“Mine”" in html.text
