"""The plan schema: a valid 2020-12 schema that can say everything the procedures ask."""

import datetime as dt

import pytest
from jsonschema import Draft202012Validator

from coregroup.schema import SchemaRegistry
from tests.factories import full_plan


@pytest.fixture(scope="module")
def schema():
    return SchemaRegistry()["child-protection-plan"]


def test_every_schema_is_valid_against_the_2020_12_meta_schema():
    registry = SchemaRegistry()
    assert registry.by_name, "no schemas were loaded"
    for loaded in registry.by_name.values():
        assert loaded.raw["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(loaded.raw)
        assert loaded.version in loaded.id, "the $id carries the schema version"


def test_a_full_plan_is_valid(schema):
    assert schema.errors(full_plan()) == []


@pytest.mark.parametrize(
    "path",
    [
        ["aims"],
        ["concerns", "summary"],
        ["concerns", "categories"],
        ["needs", "*", "side"],
        ["needs", "*", "area"],
        ["needs", "*", "whatMustChange"],
        ["needs", "*", "why"],
        ["needs", "*", "intendedOutcome"],
        ["needs", "*", "howMeasured"],
        ["needs", "*", "actions", "*", "what"],
        ["needs", "*", "actions", "*", "how"],
        ["needs", "*", "actions", "*", "who"],
        ["needs", "*", "actions", "*", "byWhen"],
        ["needs", "*", "actions", "*", "status"],
        ["roles", "*", "member"],
        ["roles", "*", "responsibilities"],
        ["contacts", "*", "member"],
        ["contacts", "*", "howOften"],
        ["contacts", "*", "why"],
        ["contingency"],
        ["childViews"],
        ["familyViews", "m-anyone", "views"],
        ["schedule", "coreGroupEveryWeeks"],
        ["schedule", "nextCoreGroup"],
        ["schedule", "reviewConference"],
    ],
)
def test_the_schema_can_say_what_the_procedures_ask_for(schema, path):
    node = schema.at(path)
    assert node.get("title"), f"{'/'.join(path)} has a label"


def test_missing_required_answers_are_reported_by_json_pointer(schema):
    plan = full_plan()
    del plan["needs"][1]["whatMustChange"]
    del plan["needs"][0]["actions"][0]["who"]
    pointers = {(e.pointer, e.code) for e in schema.errors(plan)}
    assert pointers == {
        ("/needs/1/whatMustChange", "required"),
        ("/needs/0/actions/0/who", "required"),
    }


def test_an_area_must_belong_to_the_side_of_the_triangle_chosen(schema):
    plan = full_plan()
    plan["needs"][0]["side"] = "world"  # its area is "keeping-me-safe", on the "care" side
    assert [(e.pointer, e.code) for e in schema.errors(plan)] == [("/needs/0/area", "enum")]


@pytest.mark.parametrize(
    "change, pointer, code",
    [
        (lambda p: p.update(aims="x" * 4001), "/aims", "maxLength"),
        (
            lambda p: p["schedule"].update(coreGroupEveryWeeks=0),
            "/schedule/coreGroupEveryWeeks",
            "minimum",
        ),
        (
            lambda p: p["schedule"].update(nextCoreGroup="2027-02-30"),
            "/schedule/nextCoreGroup",
            "format",
        ),
        (lambda p: p.update(surprise=1), "/surprise", "additionalProperties"),
        (
            lambda p: p["needs"][0]["actions"][0].update(status="cannot-be-done"),
            "/needs/0/actions/0/reasonNotPossible",
            "required",
        ),
    ],
)
def test_bad_values_are_reported_at_their_field(schema, change, pointer, code):
    plan = full_plan()
    change(plan)
    assert (pointer, code) in {(e.pointer, e.code) for e in schema.errors(plan)}


def test_a_hidden_conditional_answer_is_not_allowed_in_a_stored_plan(schema):
    plan = full_plan()
    plan["needs"][0]["actions"][0]["reasonNotPossible"] = "kept although status is in progress"
    assert schema.errors(plan), "an answer hidden by its condition must not be stored"


def test_dates_in_the_demo_plan_are_iso(schema):
    plan = full_plan()
    day = plan["schedule"]["nextCoreGroup"]
    assert dt.date.fromisoformat(day).isoformat() == day


def test_the_schema_is_served_at_the_url_of_its_id(client, schema):
    response = client.get(schema.url_path)
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_json() == schema.raw
    assert schema.url_path.startswith("/schemas/")
    assert client.get("/schemas/no-such-schema.json").status_code == 404
