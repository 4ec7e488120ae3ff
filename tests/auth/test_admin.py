"""Administrators manage accounts and can export everything held about one person."""

import json

from coregroup.models import User
from tests.conftest import make_user, page, sign_in


def test_only_administrators_reach_the_accounts_pages(client, signed_in):
    assert client.get("/admin/users").status_code == 404
    assert client.get("/admin/users/1/export").status_code == 404


def test_an_administrator_creates_and_disables_accounts(client, db):
    admin = make_user(is_admin=True)
    sign_in(client, admin)
    weak = client.post(
        "/admin/users", data={"name": "Pat", "email": "pat@example.com", "password": "password1"}
    )
    assert weak.status_code == 400
    assert page(weak).select_one("#email")["value"] == "pat@example.com"
    response = client.post(
        "/admin/users",
        data={
            "name": "Pat",
            "email": "pat@example.com",
            "password": "violet lantern harbour seven",
        },
    )
    assert response.status_code == 302
    pat = db.session.query(User).filter_by(email="pat@example.com").one()
    assert pat.professional and not pat.is_admin
    client.post(f"/admin/users/{pat.id}/active")
    assert pat.active is False


def test_subject_access_exports_everything_held_about_a_person(client, planned, db, runner):
    case, members = planned
    layla = members["layla"].user
    client.post("/sign-out")
    sign_in(client, layla)
    name = "familyViews__m-layla__views"
    client.post(f"/cases/{case.id}/plan/your-views/your-views", data={name: "My words"})
    client.post(f"/cases/{case.id}/plan/save")
    client.post("/sign-out")
    admin = make_user(is_admin=True)
    sign_in(client, admin)
    response = client.get(f"/admin/users/{layla.id}/export")
    assert response.status_code == 200
    data = response.get_json()
    assert data["account"]["email"] == layla.email and "password_hash" not in json.dumps(data)
    membership = data["memberships"][0]
    assert membership["role"] == "parent" and membership["theirViewsInTheLatestPlan"] == {
        "views": "My words"
    }
    assert 2 in membership["planVersionsWritten"]
    assert any(e["action"] == "sign-in" for e in data["auditEvents"])
    result = runner.invoke(args=["people", "export", "--email", layla.email])
    assert json.loads(result.output)["account"]["name"] == layla.name
