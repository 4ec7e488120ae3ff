"""Every route of a case, asked as every role: 404 wherever the role may not, never a 500.

The routes are read from app.url_map, so a new route without a permission check fails here.
"""

import pytest

from coregroup.access import PERMISSIONS, can
from coregroup.meetings import services as meetings
from tests.conftest import make_case, make_member, make_user, sign_in

VALUES = {
    "plans": {"section_id": "aims", "location": "aims", "number": 1, "language": "ar"},
    "meetings": {"section_id": "details", "page_id": "when", "key": "m-sam", "number": 1},
    "cases": {"ref": "m-owen", "release_id": 1, "child_id": 1},
    "api": {"number": 1},
    "invitations": {"member_id": 1},
}


def case_rules(app):
    for rule in app.url_map.iter_rules():
        if "case_id" in rule.arguments:
            yield rule


def test_every_case_route_names_a_permission(app):
    rules = list(case_rules(app))
    assert len(rules) > 20
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "case_permission", None) in PERMISSIONS, rule.rule


@pytest.fixture
def everyone(planned, db, app):
    case, members = planned
    members["viewer"] = make_member(
        case, make_user(name="Vic Viewer"), role="viewer", ref="m-viewer"
    )
    members["pro"] = make_member(case, make_user(name="Pat Pro"), role="teacher", ref="m-pro")
    stranger = make_user(name="Stranger")
    make_member(make_case(), stranger)  # a member of another case only
    with app.test_request_context():
        meetings.open_meeting(case)
    return case, members, stranger


@pytest.mark.parametrize("who", ["stranger", "layla", "viewer", "pro", "sam"])
def test_each_role_gets_404_where_it_has_no_permission(client, app, everyone, who):
    case, members, stranger = everyone
    user = stranger if who == "stranger" else members[who].user
    member = None if who == "stranger" else members[who]
    client.post("/sign-out")
    sign_in(client, user)
    for rule in case_rules(app):
        view = app.view_functions[rule.endpoint]
        values = {
            "case_id": case.id,
            "member_id": members["owen"].id,
            **VALUES[rule.endpoint.split(".")[0]],
        }
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code < 500, (who, method, url)
            if not can(member, view.case_permission):
                assert response.status_code == 404, (who, method, url, response.status_code)
