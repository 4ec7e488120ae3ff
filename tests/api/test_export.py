"""The plan export: the JSON API and the `export` command give the same, schema-valid JSON."""

import json

import pytest

from coregroup.plans import services
from tests.conftest import make_case, make_member, make_user, sign_in
from tests.factories import full_plan


@pytest.fixture
def exported_case(db, client):
    case = make_case()
    user = make_user()
    make_member(case, user)
    services.write_version(case, user, full_plan())
    second = full_plan()
    second["aims"] = "Second version"
    services.write_version(case, user, second)
    db.session.commit()
    sign_in(client, user)
    return case


def test_the_latest_plan_is_exported_as_valid_json_with_an_etag(client, app, exported_case):
    response = client.get(f"/api/v1/cases/{exported_case.id}/plan")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["aims"] == "Second version"
    schema = app.extensions["coregroup.schemas"]["child-protection-plan"]
    assert schema.errors(body) == []
    assert response.headers["ETag"]
    assert response.headers["X-Plan-Version"] == "2"
    assert schema.id in response.headers["Link"]


def test_an_unchanged_plan_answers_304(client, exported_case):
    url = f"/api/v1/cases/{exported_case.id}/plan"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_any_version_can_be_exported(client, exported_case):
    url = f"/api/v1/cases/{exported_case.id}/plan"
    first = client.get(url + "?version=1")
    assert first.get_json()["aims"] == full_plan()["aims"]
    assert first.headers["ETag"] != client.get(url).headers["ETag"]


@pytest.mark.parametrize(
    "query, status, code, pointer",
    [
        ("?version=9", 404, "not_found", "/version"),
        ("?version=abc", 400, "invalid", "/version"),
        ("?version=0", 400, "invalid", "/version"),
        ("?verison=2", 400, "invalid", "/verison"),  # a misspelt parameter is not ignored
    ],
)
def test_export_errors_are_problem_details(client, exported_case, query, status, code, pointer):
    response = client.get(f"/api/v1/cases/{exported_case.id}/plan{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["status"], body["code"], body["pointer"]) == (status, code, pointer)
    assert body["title"] and body["type"] == f"/api/v1/docs#problem-{code}"


def test_a_case_without_a_plan_is_a_json_404(client, db):
    case = make_case()
    user = make_user()
    make_member(case, user)
    sign_in(client, user)
    response = client.get(f"/api/v1/cases/{case.id}/plan")
    assert response.status_code == 404 and response.is_json


def test_the_api_asks_for_sign_in_with_401_json(app):
    response = app.test_client().get("/api/v1/cases/1/plan")
    assert response.status_code == 401 and response.is_json


def test_the_export_command_writes_the_same_json(client, runner, exported_case, tmp_path):
    api = client.get(f"/api/v1/cases/{exported_case.id}/plan").get_json()
    out = tmp_path / "plan.json"
    result = runner.invoke(args=["export", "--case", str(exported_case.id), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == api
    result = runner.invoke(args=["export", "--case", str(exported_case.id), "--version", "1"])
    assert json.loads(result.output)["aims"] == full_plan()["aims"]


def test_the_export_command_explains_a_missing_case(runner):
    result = runner.invoke(args=["export", "--case", "404"])
    assert result.exit_code != 0 and "There is no case 404" in result.output


def test_a_family_member_gets_no_professional_only_field_and_no_one_elses_views(
    client, planned, db
):
    case, members = planned
    plan = full_plan()
    plan["professionalNotes"] = "Address withheld: refuge"
    plan["familyViews"] = {"m-layla": {"views": "Mine"}, "m-daniel": {"views": "Daniel's"}}
    services.write_version(case, members["sam"].user, plan)
    db.session.commit()
    assert client.get(f"/api/v1/cases/{case.id}/plan").get_json()["professionalNotes"]
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    body = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
    assert "professionalNotes" not in body and "refuge" not in json.dumps(body)
    assert body["familyViews"] == {"m-layla": {"views": "Mine"}}
    assert body["aims"] == plan["aims"], "the family reads the plan itself"
    for url in (
        f"/cases/{case.id}/plan/professional-notes/notes",
        f"/cases/{case.id}/plan/versions/2",
        f"/cases/{case.id}/plan/check",
    ):
        assert "refuge" not in client.get(url).text


def test_a_family_flow_asking_a_professional_only_field_is_refused(tmp_path):
    import shutil

    import yaml

    from coregroup.flows import FlowError, load_flows
    from coregroup.schema import SchemaRegistry

    shutil.copytree("schemas", tmp_path / "schemas")
    shutil.copytree("forms", tmp_path / "forms")
    family = yaml.safe_load((tmp_path / "forms" / "family.yaml").read_text())
    family["sections"][1]["pages"][0]["fields"] = ["professionalNotes"]
    (tmp_path / "forms" / "family.yaml").write_text(yaml.safe_dump(family))
    with pytest.raises(FlowError, match="professionals only"):
        load_flows(SchemaRegistry(tmp_path / "schemas"), tmp_path / "forms")


def test_the_family_reads_the_plan_without_professional_only_fields(client, planned, db):
    case, members = planned
    plan = full_plan()
    plan["professionalNotes"] = "Refuge address"
    plan["familyViews"] = {"m-layla": {"views": "Mine"}, "m-daniel": {"views": "Daniel's"}}
    services.write_version(case, members["sam"].user, plan)
    db.session.commit()
    assert "Refuge address" in client.get(f"/cases/{case.id}/plan/read").text
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    html = client.get(f"/cases/{case.id}/plan/read").text
    assert "Refuge address" not in html and "Information for professionals only" not in html
    assert "Daniel's" not in html and "Mine" in html
    assert "Agree a plan for who looks after the children at night." in html


def test_a_streamed_export_never_holds_the_write_lock(client, db, app):
    """SQLite: the request's commit comes before the stream; what the stream reads after it is
    a plain read, so every save elsewhere goes on while a long export is being sent."""
    import sqlite3

    user = make_user()
    for _n in range(3):
        case = make_case()
        make_member(case, user)
        services.write_version(case, user, full_plan())
    db.session.commit()
    sign_in(client, user)
    response = client.get("/api/v1/export.ndjson", buffered=False)
    lines = response.iter_encoded()
    assert json.loads(next(lines))["case"]  # the stream is open, between two cases
    if db.engine.dialect.name == "sqlite":
        other = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # "database is locked" if the stream held the lock
        other.execute("ROLLBACK")
        other.close()
    else:
        with db.engine.connect() as other:  # PostgreSQL: a writer on another connection
            other.execute(db.text("SET lock_timeout = '200ms'"))
            other.execute(db.text('UPDATE "case" SET status = status'))
            other.rollback()
    assert len(list(lines)) == 2
    response.close()
