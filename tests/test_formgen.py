"""The form builder: each schema type alone, conditions, and a new question as a data edit."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from werkzeug.datastructures import MultiDict

from coregroup import create_app, formgen
from coregroup.flows import FlowError, Page, load_flows
from coregroup.schema import Schema, SchemaRegistry
from tests.conftest import make_case, make_member, make_user, page, sign_in

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.test/schemas/t/1.0.0.json",
    "x-schema-version": "1.0.0",
    "type": "object",
    "required": ["name", "pets"],
    "properties": {
        "name": {
            "type": "string",
            "title": "Name",
            "maxLength": 5,
            "x-errors": {"required": "Enter a name"},
        },
        "story": {"type": "string", "title": "Story", "x-widget": "textarea"},
        "when": {"type": "string", "format": "date", "title": "When"},
        "weeks": {"type": "integer", "title": "Weeks", "minimum": 1, "maximum": 6},
        "colour": {
            "type": "string",
            "title": "Colour",
            "enum": ["red", "blue"],
            "x-enum-labels": {"red": "Red", "blue": "Blue"},
            "x-widget": "radios",
        },
        "pets": {
            "type": "array",
            "title": "Pets",
            "minItems": 1,
            "x-widget": "checkboxes",
            "items": {"type": "string", "enum": ["cat", "dog"]},
            "x-enum-labels": {"cat": "Cat", "dog": "Dog"},
        },
        "why": {"type": "string", "title": "Why blue?", "x-show-if": {"colour": "blue"}},
    },
    "allOf": [
        {
            "if": {"properties": {"colour": {"const": "blue"}}, "required": ["colour"]},
            "then": {"required": ["why"]},
        }
    ],
}


@pytest.fixture
def schema():
    return Schema("t", SCHEMA)


def bind(app, schema, fields, formdata, ctx=None, scope=()):
    """Build the page's form and bind it to posted data, as a request would."""
    ctx = ctx or formgen.Context()
    with app.test_request_context(method="POST", data=formdata):
        specs = formgen.page_fields(schema, scope, Page("p", tuple(fields)), ctx)
        form = formgen.build_form_class(specs, ctx)()
        valid = form.validate()
        return specs, form, valid, (formgen.answers(specs, form) if valid else None)


@pytest.mark.parametrize(
    "field, kind",
    [
        ("name", "string"),
        ("story", "string-textarea"),
        ("when", "string-date"),
        ("weeks", "integer"),
        ("colour", "string-radios"),
        ("pets", "array-checkboxes"),
    ],
)
def test_each_schema_type_has_its_builder(schema, field, kind):
    assert formgen.kind_of(schema.at([field])) == kind


def test_required_and_length_come_from_the_schema(app, schema):
    _, form, valid, _ = bind(app, schema, ["name"], {"name": ""})
    assert not valid and form.name.errors == ["Enter a name"]
    _, form, valid, _ = bind(app, schema, ["name"], {"name": "toolong"})
    assert not valid and form.name.errors == ["Use 5 characters or fewer"]
    _, _, valid, answers = bind(app, schema, ["name"], {"name": "  Amy "})
    assert valid and answers == {"name": "Amy"}


def test_an_empty_optional_answer_is_removed(app, schema):
    _, _, valid, answers = bind(app, schema, ["story"], {"story": "   "})
    assert valid and answers == {"story": None}


@pytest.mark.parametrize(
    "parts, error, value",
    [
        ({"when-day": "27", "when-month": "3", "when-year": "2027"}, None, "2027-03-27"),
        (
            {"when-day": "30", "when-month": "2", "when-year": "2027"},
            "The date must be a real date, like 27 3 2027",
            None,
        ),
        (
            {"when-day": "", "when-month": "3", "when-year": ""},
            "The date must include a day and a year",
            None,
        ),
        ({"when-day": "", "when-month": "", "when-year": ""}, None, None),
    ],
)
def test_dates_are_asked_as_day_month_and_year(app, schema, parts, error, value):
    _, form, valid, answers = bind(app, schema, ["when"], parts)
    if error:
        assert not valid and form.when.errors == [error]
        typed = {k.split("-")[1]: v for k, v in parts.items()}
        assert form.when.raw_parts == typed, "what was typed is kept"
        missing = [part for part, value in typed.items() if not value]
        assert form.when.error_parts == (missing or ["day", "month", "year"])
    else:
        assert valid and answers == {"when": value}


@pytest.mark.parametrize(
    "typed, error",
    [
        ("4", None),
        ("0", "Enter a whole number from 1 to 6"),
        ("7", "Enter a whole number from 1 to 6"),
        ("four", "Enter a whole number, like 4"),
    ],
)
def test_numbers_are_checked_against_the_schema_range(app, schema, typed, error):
    _, form, valid, answers = bind(app, schema, ["weeks"], {"weeks": typed})
    if error:
        assert not valid and form.weeks.errors == [error]
    else:
        assert valid and answers == {"weeks": 4}


def test_choices_come_from_the_schema_enum_with_their_labels(app, schema):
    _, form, valid, _ = bind(app, schema, ["colour"], {"colour": "green"})
    assert [(c.value, c.label) for c in form.colour.choices] == [("red", "Red"), ("blue", "Blue")]
    assert not valid, "a value outside the enum is refused"


def test_checkboxes_need_at_least_the_schema_minimum(app, schema):
    _, form, valid, _ = bind(app, schema, ["pets"], MultiDict())
    assert not valid and form.pets.errors == ["Answer this question"]
    _, _, valid, answers = bind(
        app, schema, ["pets"], MultiDict([("pets", "cat"), ("pets", "dog")])
    )
    assert valid and answers == {"pets": ["cat", "dog"]}


def test_a_conditional_question_is_required_only_when_shown(app, schema):
    _, form, valid, _ = bind(app, schema, ["colour", "why"], {"colour": "blue", "why": ""})
    assert not valid and form.why.errors
    _, _, valid, answers = bind(app, schema, ["colour", "why"], {"colour": "red", "why": ""})
    assert valid and answers == {"colour": "red", "why": None}


def test_an_answer_hidden_by_its_condition_is_not_kept(app, schema):
    _, _, valid, answers = bind(
        app, schema, ["colour", "why"], {"colour": "red", "why": "typed before changing to red"}
    )
    assert valid and answers["why"] is None


def test_member_choices_come_from_the_case(app):
    plan = SchemaRegistry()["child-protection-plan"]
    ctx = formgen.Context(members=(("m-a", "Ann"), ("m-b", "Bob")))
    scope = ("needs", "*", "actions", "*")
    _, form, valid, answers = bind(app, plan, ["who"], MultiDict([("who", "m-b")]), ctx, scope)
    assert [c.value for c in form.who.choices] == ["m-a", "m-b"]
    assert valid and answers == {"who": ["m-b"]}
    _, form, valid, _ = bind(app, plan, ["who"], MultiDict([("who", "m-stranger")]), ctx, scope)
    assert not valid, "only members of this case can be chosen"


def test_triangle_areas_are_narrowed_to_the_side_chosen(app):
    plan = SchemaRegistry()["child-protection-plan"]
    ctx = formgen.Context(item={"side": "world"})
    with app.test_request_context():
        specs = formgen.page_fields(plan, ("needs", "*"), Page("area", ("area",)), ctx)
        form = formgen.build_form_class(specs, ctx)()
    assert [c.value for c in form.area.choices][:2] == ["support-from-family-and-friends", "school"]
    assert len(form.area.choices) == 7


def test_each_call_builds_a_fresh_form_class(app, schema):
    with app.test_request_context():
        specs = formgen.page_fields(schema, (), Page("p", ("name",)), formgen.Context())
    one = formgen.build_form_class(specs, formgen.Context())
    two = formgen.build_form_class(specs, formgen.Context())
    assert one is not two


def test_a_flow_naming_a_field_the_schema_lacks_is_refused(tmp_path):
    shutil.copytree("schemas", tmp_path / "schemas")
    (tmp_path / "forms").mkdir()
    flow = yaml.safe_load(Path("forms/professional.yaml").read_text())
    flow["sections"][0]["pages"][0]["fields"] = ["noSuchField"]
    (tmp_path / "forms" / "professional.yaml").write_text(yaml.safe_dump(flow))
    with pytest.raises(FlowError, match="noSuchField"):
        load_flows(SchemaRegistry(tmp_path / "schemas"), tmp_path / "forms")


def test_adding_a_question_is_a_data_edit(tmp_path, database_uri):
    """A new field in a copy of the schema and flow is asked, checked and saved; no Python."""
    shutil.copytree("schemas", tmp_path / "schemas")
    shutil.copytree("forms", tmp_path / "forms")
    schema_file = tmp_path / "schemas" / "child-protection-plan.schema.json"
    raw = json.loads(schema_file.read_text())
    raw["properties"]["interpreter"] = {
        "type": "string",
        "title": "Which language does the family's interpreter speak?",
        "maxLength": 30,
        "x-audience": "all",
    }
    schema_file.write_text(json.dumps(raw))
    flow_file = tmp_path / "forms" / "professional.yaml"
    flow = yaml.safe_load(flow_file.read_text())
    flow["sections"][0]["pages"].append({"id": "interpreter", "fields": ["interpreter"]})
    flow_file.write_text(yaml.safe_dump(flow))

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        COREGROUP_SCHEMA_DIR=tmp_path / "schemas",
        COREGROUP_FORMS_DIR=tmp_path / "forms",
    )
    from coregroup.extensions import db

    with app.app_context():
        db.create_all()
        case = make_case()
        user = make_user()
        make_member(case, user)
        client = app.test_client()
        sign_in(client, user)
        url = f"/cases/{case.id}/plan/aims/interpreter"
        shown = page(client.get(url))
        assert (
            shown.select_one("h1 label").get_text(strip=True)
            == raw["properties"]["interpreter"]["title"]
        )
        too_long = client.post(url, data={"interpreter": "x" * 31})
        assert too_long.status_code == 400
        assert client.post(url, data={"interpreter": "Sylheti"}).status_code == 302
        assert client.post(f"/cases/{case.id}/plan/save").status_code == 302
        exported = client.get(f"/api/v1/cases/{case.id}/plan").get_json()
        assert exported["interpreter"] == "Sylheti"
        db.session.remove()
        db.engine.dispose()
