"""The shapes of the API's bodies, as marshmallow schemas: used to check what comes in and to
write the OpenAPI document. Plans and meeting records are described by their JSON Schemas
(served at /schemas/…), which are the contract; here they are plain objects."""

from __future__ import annotations

import datetime as dt
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coregroup import rules


class QueryInteger(fields.Integer):
    """A whole number in a query string: ASCII digits only (no "+1", "1_0" or other scripts'
    digits, which int() would take)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,10}", value):
            raise ValidationError("Give a whole number, in digits 0 to 9.")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryDate(fields.Date):
    """A date in a query string: YYYY-MM-DD exactly (not 20240110)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValidationError("Give a date as YYYY-MM-DD.")
        return super()._deserialize(value, attr, data, **kwargs)


class ProblemItemSchema(Schema):
    pointer = fields.String(required=True, metadata={"description": "JSON Pointer (RFC 6901)"})
    code = fields.String(required=True, metadata={"description": "What is wrong, for machines"})
    detail = fields.String(required=True, metadata={"description": "What is wrong, for people"})
    field = fields.String(metadata={"description": "Deprecated: the same as pointer"})
    message = fields.String(metadata={"description": "Deprecated: the same as detail"})


class ErrorSchema(Schema):
    """Problem details (RFC 9457), sent as application/problem+json with every 4xx and 5xx."""

    type = fields.String(
        required=True, metadata={"description": "/api/v1/docs#problem-<code>: what the code means"}
    )
    status = fields.Integer(required=True)
    code = fields.String(
        required=True, metadata={"description": "Stable machine code, e.g. invalid, conflict"}
    )
    title = fields.String(required=True, metadata={"description": "In the caller's language"})
    detail = fields.String(required=True)
    pointer = fields.String(
        required=True, metadata={"description": "JSON Pointer to the (first) part in question"}
    )
    errors = fields.List(fields.Nested(ProblemItemSchema))
    conflicts = fields.List(fields.Dict(), metadata={"description": "409: both answers"})
    latestVersion = fields.Integer(metadata={"description": "409: the version you clash with"})
    error = fields.String(metadata={"description": "Deprecated: the same as code"})
    field = fields.String(metadata={"description": "Deprecated: the same as pointer"})
    message = fields.String(metadata={"description": "Deprecated: the same as detail"})


class ChildPlanSchema(Schema):
    """One child's child protection plan: from the conference that started it to the one that
    ended it."""

    number = fields.Integer(required=True)
    categories = fields.List(fields.String(), required=True)
    initialCategories = fields.List(fields.String(), required=True)
    startedOn = fields.Date(required=True)
    endedOn = fields.Date(allow_none=True)
    endReason = fields.String(allow_none=True)
    endNote = fields.String(allow_none=True)
    endedBy = fields.Integer(allow_none=True)


class ChildSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The child's id (c-…)"})
    name = fields.String(required=True)
    dateOfBirth = fields.Date(allow_none=True)
    expectedOn = fields.Date(allow_none=True, metadata={"description": "Unborn: when due"})
    addedOn = fields.Date(allow_none=True)
    nhsNumber = fields.String(allow_none=True, metadata={"description": "10 digits"})
    localId = fields.String(
        allow_none=True, metadata={"description": "The child's id in the council's records"}
    )
    family = fields.List(fields.String(), metadata={"description": "Their parents and carers"})
    plans = fields.List(fields.Nested(ChildPlanSchema))
    previousPlans = fields.Integer(metadata={"description": "Plans ended before the current"})


class MemberSchema(Schema):
    """A member of the core group, as the API and the case export give them (dumped from a
    Member: the one place a member becomes JSON)."""

    id = fields.String(
        attribute="ref", required=True, metadata={"description": "The member's id in the plan"}
    )
    name = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(allow_none=True)
    joined = fields.Date(attribute="joined_on", allow_none=True)
    left = fields.Date(attribute="left_on", allow_none=True)
    coOpted = fields.Boolean(attribute="co_opted")


class ContactSchema(Schema):
    """A member's contact details as the caller may see them (coregroup.contacts): null where
    they may not (another family member's, or a confidential member's)."""

    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    confidential = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Contact details seen only by the lead social worker and the chair; "
            "null where you may not see the member's details"
        },
    )


class MemberWithContactSchema(MemberSchema, ContactSchema):
    """A member with the contact details the caller may see."""


class MeetingSummarySchema(Schema):
    number = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    date = fields.Date(allow_none=True)
    planVersion = fields.Integer(allow_none=True)


class CaseSummarySchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    status = fields.String(required=True)
    planVersion = fields.Integer(allow_none=True)


class CaseSchema(CaseSummarySchema):
    initialConference = fields.Date(allow_none=True)
    closedOn = fields.Date(allow_none=True)
    categories = fields.List(fields.String())
    coreGroupEveryWeeks = fields.Integer(allow_none=True)
    children = fields.List(fields.Nested(ChildSchema))
    members = fields.List(fields.Nested(MemberWithContactSchema))
    meetings = fields.List(fields.Nested(MeetingSummarySchema))
    dueDates = fields.Dict(metadata={"description": "Due dates worked out by the rules"})


class CaseListSchema(Schema):
    cases = fields.List(fields.Nested(CaseSummarySchema), required=True)


class MemberListSchema(Schema):
    members = fields.List(fields.Nested(MemberWithContactSchema), required=True)


class MeetingListSchema(Schema):
    meetings = fields.List(fields.Nested(MeetingSummarySchema), required=True)


class VersionSchema(Schema):
    number = fields.Integer(required=True)
    createdAt = fields.DateTime(required=True)
    author = fields.String(allow_none=True, metadata={"description": "Member id of the author"})
    schemaVersion = fields.String(required=True)
    note = fields.String(allow_none=True)
    changed = fields.List(fields.String(), metadata={"description": "JSON Pointers changed"})


class VersionListSchema(Schema):
    versions = fields.List(fields.Nested(VersionSchema), required=True)


class NoQuerySchema(Schema):
    """An operation that takes no query string: any parameter is refused, not ignored."""


class PlanQuerySchema(Schema):
    version = QueryInteger(validate=validate.Range(min=1, max=2**31 - 1))


class ImportedSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    invited = fields.Integer(
        required=True, metadata={"description": "Members e-mailed an invitation to the case"}
    )


# Plans, meeting records and case exports are described by their own published JSON Schemas
# (the contract): the OpenAPI document names each by its $id and carries it, with every earlier
# version an export may name, under components.schemas (coregroup.api.spec).
PLAN_ID = "https://coregroup.example/schemas/child-protection-plan/1.2.0.json"
MEETING_ID = "https://coregroup.example/schemas/core-group-meeting/1.1.0.json"
CASE_EXPORT_ID = "https://coregroup.example/schemas/case-export/1.3.0.json"
PLAN = {"$ref": PLAN_ID}
MEETING_RECORD = {"$ref": MEETING_ID}
CASE_EXPORT = {"$ref": CASE_EXPORT_ID}
JSON_PATCH = {
    "description": "A JSON Patch (RFC 6902): operations on the plan you read, applied in order",
    "type": "array",
    "maxItems": 1000,
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string", "description": "A JSON Pointer (RFC 6901) into the plan"},
            "from": {"type": "string", "description": "move and copy: where from"},
            "value": {"description": "add, replace and test: the value"},
        },
    },
}
MERGE_PATCH = {
    "description": (
        "A JSON Merge Patch (RFC 7396): the parts of the plan to change, as the plan's own "
        "shape; null removes a value; an array (such as needs) is replaced whole"
    ),
    "type": "object",
}
PATCH = {
    "application/json-patch+json": JSON_PATCH,
    "application/merge-patch+json": MERGE_PATCH,
}


_YEARS = validate.Range(
    min=dt.date(1900, 1, 1), max=dt.date(2200, 12, 31), error="Give a date from 1900 to 2200."
)


class TimescalesQuerySchema(Schema):
    jurisdiction = fields.String(
        required=True,
        validate=validate.OneOf(list(rules.load_profiles())),
        metadata={"description": "Whose procedures: one of the rules profiles"},
    )
    conference = QueryDate(
        required=True, validate=_YEARS, metadata={"description": "The initial conference"}
    )
    meeting = QueryDate(
        validate=_YEARS, metadata={"description": "The last core group meeting, if any"}
    )
    weeks = QueryInteger(
        validate=validate.Range(min=1, max=52),
        metadata={
            "description": "How often the conference set core groups to meet (at most as "
            "long as the procedures allow)"
        },
    )

    @validates_schema
    def _fits_the_procedures(self, data, **kwargs):
        if data.get("meeting") and data.get("conference") and data["meeting"] < data["conference"]:
            raise ValidationError("The meeting cannot be before the conference.", "meeting")
        profile = rules.load_profiles().get(data.get("jurisdiction"))
        longest = profile.core_group_interval_weeks if profile else None
        if data.get("weeks") and longest and data["weeks"] > longest:
            raise ValidationError(
                f"These procedures have core groups meet at least every {longest} weeks.", "weeks"
            )


class FhirQuerySchema(Schema):
    format_ = fields.String(
        data_key="_format",
        validate=validate.OneOf(["json", "application/fhir+json", "application/json"]),
        metadata={"description": "FHIR's _format: JSON is the only format given"},
    )


class CensusQuerySchema(Schema):
    year = QueryInteger(
        required=True,
        validate=validate.Range(min=2010, max=2100),
        metadata={
            "description": "The census collection year: the reporting year ending 31 March of it "
            "(2026 is 1 April 2025 to 31 March 2026)"
        },
    )


TIMESCALES = {"type": "object", "description": "Due dates, each with the rule it comes from"}
FHIR_BUNDLE = {"type": "object", "description": "An HL7 FHIR R4 Bundle (collection)"}
