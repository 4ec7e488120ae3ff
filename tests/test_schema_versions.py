"""A schema that changes: documents written under the old version are upgraded as they are
read (never rewritten), exported as written, and still validate against the old schema, which
stays served at its $id."""

import json
import shutil

import pytest
from sqlalchemy import text

from coregroup import create_app, schema_upgrades
from coregroup.config import ROOT
from coregroup.extensions import db as _db
from coregroup.models import Case, PlanVersion
from tests.conftest import make_case, make_member, make_user, sign_in
from tests.factories import REFS, full_plan, moved_copy

OLD_ID = "https://coregroup.example/schemas/child-protection-plan/0.9.0.json"


def _old_schema() -> dict:
    """Version 0.9.0 of the plan schema, as if released before `aims` had its plural name."""
    raw = json.loads((ROOT / "schemas" / "child-protection-plan.schema.json").read_text())
    raw["$id"], raw["x-schema-version"] = OLD_ID, "0.9.0"
    raw["properties"]["schemaVersion"] = {"const": "0.9.0"}
    raw["properties"]["aim"] = raw["properties"].pop("aims")
    raw["required"] = ["aim" if r == "aims" else r for r in raw.get("required", [])]
    return raw


def _upgrade_0_9(document: dict) -> dict:
    if "aim" in document:
        document["aims"] = document.pop("aim")
    return document


@pytest.fixture
def versioned(tmp_path, database_uri, monkeypatch):
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    (schemas / "archive" / "child-protection-plan-0.9.0.schema.json").write_text(
        json.dumps(_old_schema())
    )
    monkeypatch.setitem(
        schema_upgrades.UPGRADES["child-protection-plan"], "0.9.0", ("1.0.0", _upgrade_0_9)
    )
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri, COREGROUP_SCHEMA_DIR=schemas)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_an_old_version_reads_as_the_new_schema_and_exports_as_written(versioned):
    app = versioned
    client = app.test_client()
    case = make_case()
    lead = make_user(name="Lee Lead", email="lead@example.test")
    for key, ref in REFS.items():
        make_member(
            case,
            lead if key == "sam" else None,
            ref=ref,
            email=None,
            role="lead-social-worker" if key == "sam" else "teacher",
        )
    old = full_plan()  # the plan as it is now...
    old["aim"], old["schemaVersion"] = old.pop("aims"), "0.9.0"  # ...written under 0.9.0
    assert (
        app.extensions["coregroup.schemas"].version("child-protection-plan", "0.9.0").is_valid(old)
    )
    _db.session.add(PlanVersion(case_id=case.id, number=1, schema_version="0.9.0", document=old))
    _db.session.commit()
    sign_in(client, lead)
    email, case_id = lead.email, case.id
    _db.session.expunge_all()  # read the version afresh, as a new request would

    current = client.get(f"/api/v1/cases/{case_id}/plan").get_json()
    assert current["aims"] == old["aim"] and "aim" not in current
    assert current["schemaVersion"] == (
        app.extensions["coregroup.schemas"]["child-protection-plan"].version
    ), "upgraded step by step to the current version"
    assert app.extensions["coregroup.schemas"]["child-protection-plan"].is_valid(current)
    assert old["aim"] in client.get(f"/cases/{case_id}/plan/read").text

    exported = client.get(f"/api/v1/cases/{case_id}/export").get_json()
    written = exported["planVersions"][0]
    assert written["schemaVersion"] == "0.9.0" and written["document"] == old
    served = client.get("/schemas/child-protection-plan/0.9.0.json").get_json()
    assert served["$id"] == OLD_ID
    stored = _db.session.execute(text("SELECT document FROM plan_version")).scalar()
    assert "aim" in (json.loads(stored) if isinstance(stored, str) else stored)  # not rewritten

    moved = moved_copy(exported, "x", email)
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 201, response.get_json()
    again = client.get(f"/api/v1/cases/{response.get_json()['id']}/export").get_json()
    assert json.dumps(again, sort_keys=True) == json.dumps(moved, sort_keys=True)
    assert _db.session.query(Case).count() == 2
