"""The shapes of the API's bodies, as marshmallow schemas: used to check what comes in and to
write the OpenAPI document. Plans and meeting records are described by their JSON Schemas
(served at /schemas/…), which are the contract; here they are plain objects."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ProblemSchema(Schema):
    field = fields.String(metadata={"description": "JSON Pointer to what is wrong"})
    pointer = fields.String(metadata={"description": "JSON Pointer to what is wrong"})
    code = fields.String()
    message = fields.String()


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "A code, e.g. invalid"})
    field = fields.String(metadata={"description": "JSON Pointer to the part in question"})
    message = fields.String()
    errors = fields.List(fields.Nested(ProblemSchema))
    conflicts = fields.List(fields.Dict())
    latestVersion = fields.Integer()
    status = fields.Integer(metadata={"description": "The HTTP status, on generic errors"})


class ChildSchema(Schema):
    name = fields.String(required=True)
    dateOfBirth = fields.Date(allow_none=True)


class MemberSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The member's id in the plan"})
    name = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(allow_none=True)
    joined = fields.Date(allow_none=True)
    left = fields.Date(allow_none=True)
    coOpted = fields.Boolean()


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
    categories = fields.List(fields.String())
    coreGroupEveryWeeks = fields.Integer(allow_none=True)
    children = fields.List(fields.Nested(ChildSchema))
    members = fields.List(fields.Nested(MemberSchema))
    meetings = fields.List(fields.Nested(MeetingSummarySchema))
    dueDates = fields.Dict(metadata={"description": "Due dates worked out by the rules"})


class CaseListSchema(Schema):
    cases = fields.List(fields.Nested(CaseSummarySchema), required=True)


class MemberListSchema(Schema):
    members = fields.List(fields.Nested(MemberSchema), required=True)


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


class PlanQuerySchema(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class ImportedSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)


PLAN = {
    "type": "object",
    "description": "A plan document, valid against /schemas/child-protection-plan/… ($id)",
}
MEETING_RECORD = {
    "type": "object",
    "description": "A meeting record, valid against /schemas/core-group-meeting/… ($id)",
}
CASE_EXPORT = {
    "type": "object",
    "description": "A whole case, valid against /schemas/case-export/… ($id); lossless",
}
PATCH = {
    "description": "A JSON Patch (a list of operations) or a JSON Merge Patch (an object)",
    "oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "object"}],
}


class TimescalesQuerySchema(Schema):
    jurisdiction = fields.String(
        required=True,
        validate=validate.OneOf(["guernsey", "england", "wales", "scotland", "northern-ireland"]),
    )
    conference = fields.Date(required=True, metadata={"description": "The initial conference"})
    meeting = fields.Date(metadata={"description": "The last core group meeting, if any"})
    weeks = fields.Integer(validate=validate.Range(min=1, max=52))


TIMESCALES = {"type": "object", "description": "Due dates, each with the rule it comes from"}
FHIR_BUNDLE = {"type": "object", "description": "An HL7 FHIR R4 Bundle (collection)"}
