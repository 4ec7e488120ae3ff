"""One text policy at every boundary: NFC; lone surrogates, NUL and other C0 controls refused
by name, in the person's language, with what they typed kept; JSON nesting bounded; stored
bad text never turns a read into an error."""

import json
import types

import pytest
from sqlalchemy import text as sql

from coregroup import textpolicy
from coregroup.models import Member
from coregroup.plans import services
from tests.conftest import make_user, page, sign_in
from tests.factories import moved_copy

MERGE = {"Content-Type": "application/merge-patch+json"}


def etag(client, case):
    return client.get(f"/api/v1/cases/{case.id}/plan").headers["ETag"]


@pytest.mark.parametrize(
    "bad",
    ["Safe\x00 at home", "Safe\x1b at home", "Safe\x07", "Del\x7fete", "Ne\x85l", "No\ufffe!"],
)
def test_a_form_refuses_a_control_character_at_its_field_keeping_the_text(client, planned, bad):
    case, _ = planned
    before = services.latest_version(case).number
    response = client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": bad})
    assert response.status_code == 400
    html = page(response)
    assert (
        html.select_one("#aims-error")
        .get_text(strip=True)
        .endswith(
            "There is a hidden character in this answer that cannot be kept. "
            "Type it again, or paste it as plain text."
        )
    )
    assert html.select_one(".govuk-error-summary a")["href"] == "#aims"
    # What was typed is kept, as typed (read from the raw page: an HTML parser would tidy it).
    assert f">{bad}</textarea>" in response.get_data(as_text=True).replace(
        "\n</textarea>", "</textarea>"
    )
    assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
    assert services.latest_version(case).number == before


def test_the_refusal_is_in_the_persons_language(client, planned):
    case, _ = planned
    client.get("/language/cy")
    response = client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "x\x00"})
    message = page(response).select_one("#aims-error").get_text(strip=True)
    assert "hidden character" not in message and len(message) > 20


def test_tabs_and_line_breaks_are_kept(client, planned):
    case, _ = planned
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "One\r\n\tTwo"})
    client.post(f"/cases/{case.id}/plan/save")
    assert services.latest_version(case).document["aims"] == "One\n\tTwo"


def test_text_is_composed_and_joiners_are_kept(client, planned):
    """NFC: "e" + combining acute becomes "é"; ZWJ/ZWNJ (Bengali, Urdu, Arabic) stay."""
    case, _ = planned
    typed = "Cafe\u0301 — ক্\u200dষ — می\u200cخواهم"
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": typed})
    client.post(f"/cases/{case.id}/plan/save")
    saved = services.latest_version(case).document["aims"]
    assert saved == "Café — ক্\u200dষ — می\u200cخواهم"
    assert "\u200d" in saved and "\u200c" in saved


@pytest.mark.parametrize("field", ["child2", "child3"])
def test_the_conference_form_refuses_nul_in_any_childs_name(client, signed_in, field):
    from tests.cases.test_views import conference_form

    data = {**conference_form(), "child2": "Second", field: "Na\x00me"}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 400
    assert page(response).select_one(f"#{field}-error") is not None
    assert page(response).select_one(f"input[name={field}]")["value"] == "Na\x00me"


def test_a_members_organisation_refuses_nul(client, planned, db):
    case, _ = planned
    response = client.post(
        f"/cases/{case.id}/members",
        data={
            "name": "Pat Police",
            "role": "police",
            "organisation": "Pol\x00ice",
            "language": "en_GB",
            "joined-day": "20",
            "joined-month": "11",
            "joined-year": "2026",
        },
    )
    assert response.status_code == 400
    assert page(response).select_one("#organisation-error") is not None
    assert db.session.query(Member).filter_by(name="Pat Police").count() == 0


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ('{"aims": "a\\ud800b"}', "/aims"),
        ('{"aims": "a\\u0000b"}', "/aims"),
        ('{"needs": [{"id": "x", "why": "\\udfff"}]}', "/needs/0/why"),
        ('{"a\\u0001": "x"}', "/a\x01"),
    ],
)
def test_the_api_refuses_bad_text_naming_it(client, planned, body, pointer):
    case, _ = planned
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        data=body,
        headers={**MERGE, "If-Match": etag(client, case)},
    )
    assert response.status_code == 422 and response.is_json
    assert response.get_json()["field"] == pointer
    assert response.get_json()["errors"][0]["pointer"] == pointer


def test_family_views_as_json_refuse_a_lone_surrogate(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    response = client.post(
        f"/cases/{case.id}/plan/views",
        data='{"views": "I agree \\ud83d", "base": 1}',
        headers={"Content-Type": "application/json", "X-CSRFToken": "unused-in-tests"},
    )
    assert response.status_code == 422
    assert response.get_json()["field"] == "/views"


@pytest.mark.parametrize("where", ["import", "views", "patch"])
def test_deeply_nested_json_is_a_400_naming_the_problem(client, planned, where, members=None):
    case, people = planned
    deep = "[" * 100_000 + "]" * 100_000
    if where == "import":
        response = client.post(
            "/api/v1/cases/import", data=deep, headers={"Content-Type": "application/json"}
        )
    elif where == "patch":
        response = client.patch(
            f"/api/v1/cases/{case.id}/plan",
            data='{"aims": ' + deep + "}",
            headers={**MERGE, "If-Match": etag(client, case)},
        )
    else:
        client.post("/sign-out")
        sign_in(client, people["layla"].user)
        response = client.post(
            f"/cases/{case.id}/plan/views",
            data=deep,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400 and response.get_json()["error"] == "too_deep"
    # Just inside the limit is read (and answered on its merits, never 500).
    shallow = "[" * (textpolicy.MAX_DEPTH - 1) + "]" * (textpolicy.MAX_DEPTH - 1)
    assert textpolicy.loads(shallow) is not None
    with pytest.raises(textpolicy.TooDeep):
        textpolicy.loads("[" * (textpolicy.MAX_DEPTH + 1) + "]" * (textpolicy.MAX_DEPTH + 1))


@pytest.mark.sqlite_only  # PostgreSQL cannot store such text at all (nor NUL), so nothing to read
def test_stored_bad_text_is_shown_as_a_replacement_everywhere_and_listed(
    app, client, planned, db, runner
):
    """Text stored before the policy: every read and export works, with U+FFFD in its place;
    the stored versions are not rewritten; `flask check-text` lists them."""
    case, members = planned
    layla = types.SimpleNamespace(email=members["layla"].user.email)
    latest = services.latest_version(case)
    document = {**latest.document, "aims": "Safe \ud800 at home", "contingency": "Call\x00 us"}
    db.session.execute(
        sql(
            "INSERT INTO plan_version (case_id, number, document, schema_version, created_at, "
            "changes) VALUES (:case, :number, :document, :schema, '2026-12-01', '[]')"
        ),
        {
            "case": case.id,
            "number": latest.number + 1,
            "document": json.dumps(document),
            "schema": latest.schema_version,
        },
    )
    db.session.execute(
        sql("UPDATE member SET organisation = :o WHERE id = :id"),
        {"o": "Bad\x00Org", "id": members["priya"].id},
    )
    db.session.commit()
    db.session.expire_all()
    for url in (
        f"/cases/{case.id}/plan",
        f"/cases/{case.id}/plan/read",
        f"/cases/{case.id}/plan/check",
        f"/cases/{case.id}/plan/versions",
        f"/cases/{case.id}/plan/versions/{latest.number + 1}",
        f"/cases/{case.id}/members",
        f"/api/v1/cases/{case.id}/plan",
        f"/api/v1/cases/{case.id}/plan/fhir",
        f"/api/v1/cases/{case.id}/export",
        f"/api/v1/cases/{case.id}",
        "/api/v1/export.ndjson",
        "/api/v1/cin.csv?year=2027",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data()
        body.decode("utf-8")  # valid UTF-8 throughout
        assert b"\x00" not in body, url
    exported = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert exported["aims"] == "Safe \ufffd at home"
    # A family member's page too.
    client.post("/sign-out")
    sign_in(client, layla)
    assert client.get(f"/cases/{case.id}/plan/read").status_code == 200
    # The stored version is as it was written; the check command names it.
    raw = db.session.execute(
        sql("SELECT document FROM plan_version WHERE number = :n AND case_id = :c"),
        {"n": latest.number + 1, "c": case.id},
    ).scalar()
    assert "\\ud800" in raw
    result = runner.invoke(args=["check-text"])
    assert result.exit_code == 1
    assert "plan_version" in result.output and "surrogate" in result.output
    assert "member" in result.output and "organisation" in result.output


def test_check_text_says_so_when_all_is_well(runner, planned):
    result = runner.invoke(args=["check-text"])
    assert result.exit_code == 0 and "No stored text" in result.output


def test_the_command_line_holds_to_the_policy(runner, app, tmp_path, planned):
    result = runner.invoke(
        args=["users", "create", "--email", "x@example.test", "--name", "Bad\x00Name"],
        env={"COREGROUP_NEW_PASSWORD": "a long enough password here"},
    )
    assert result.exit_code != 0 and "--name" in result.output
    importer = make_user(email="cli@example.test")
    broken = tmp_path / "case.json"
    broken.write_text('{"case": {"reference": "A\\u0000"}}')
    result = runner.invoke(args=["import", str(broken), "--as", importer.email])
    assert result.exit_code != 0 and "/case/reference" in result.output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(args=["import", str(deep), "--as", importer.email])
    assert result.exit_code != 0 and "nested" in result.output


def test_the_command_line_imports_a_case(runner, client, planned, db, tmp_path):
    case, members = planned
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    moved = moved_copy(exported, "moved", members["sam"].user.email)
    moved["case"]["reference"] = "MOVED-1"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(moved))
    result = runner.invoke(args=["import", str(path), "--as", members["sam"].user.email])
    assert result.exit_code == 0, result.output
    assert "MOVED-1" in result.output


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ('{"contingency": "a", "contingency": "b"}', 422, "repeated_key"),
        ('{"schedule": {"coreGroupEveryWeeks": NaN}}', 400, "invalid_json"),
        ('{"schedule": {"coreGroupEveryWeeks": Infinity}}', 400, "invalid_json"),
    ],
)
def test_json_that_would_lose_or_invent_a_value_is_refused(client, planned, body, status, error):
    """A key given twice (one would be silently dropped) or NaN/Infinity (not JSON)."""
    case, _ = planned
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        data=body,
        headers={**MERGE, "If-Match": etag(client, case)},
    )
    assert response.status_code == status and response.get_json()["error"] == error
