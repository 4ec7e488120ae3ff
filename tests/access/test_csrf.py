"""CSRF on every state-changing route, read from app.url_map: without a valid token, nothing
changes (typed answers are kept to send again, but not applied)."""

from coregroup import create_app
from coregroup.extensions import db as _db
from coregroup.meetings import services as meetings
from coregroup.models import (
    Case,
    Circulation,
    Invitation,
    Meeting,
    Member,
    PlanDraft,
    PlanVersion,
    User,
)
from tests.conftest import PASSWORD, make_case, make_member, make_user, page
from tests.factories import full_plan

STATE = (Case, Member, Meeting, Circulation, Invitation, PlanDraft, PlanVersion, User)
VALUES = {
    "section_id": "aims",
    "ref": "m-owen",
    "child_id": 1,
    "user_id": 1,
    "language": "ar",
    "location": "aims",
    "number": 1,
    "page_id": "when",
    "key": "m-sam",
    "member_id": 1,
    "token": "x",
    "pending_id": "x",
    "code": "cy",
}


def counts():
    return {model.__name__: _db.session.query(model).count() for model in STATE}


def test_every_state_changing_route_refuses_a_missing_token(database_uri):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        _db.create_all()
        case = make_case()
        user = make_user()
        make_member(case, user, ref="m-sam")
        for key in ("priya", "owen", "ruth", "layla", "daniel"):
            make_member(case, None, name=key, role="teacher", ref=f"m-{key}")
        from coregroup.plans import services

        services.write_version(case, user, full_plan())
        _db.session.commit()
        with app.test_request_context():
            meetings.open_meeting(case)
        _db.session.commit()
        email, case_id = user.email, case.id
        before = counts()
    client = app.test_client()
    token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {**VALUES, "case_id": case_id}
        url = rule.build(
            {k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False
        )[1]
        if url == "/sign-out":
            continue
        response = client.post(url, data={"anything": "typed", "aims": "typed"})
        posted += 1
        assert response.status_code in (302, 400, 404), (url, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith(("/resume/", "/sign-in")), url
    assert posted > 15
    with app.app_context():
        assert counts() == before, "no state changed without a valid token"
        _db.engine.dispose()
