"""Turn a page of a flow into a WTForms form, and move answers between forms and documents.

Labels, hints, choices and validation all come from the JSON Schema; the flow only says which
fields a page asks. One dispatch table, TYPE_BUILDERS, builds a field for each kind of schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from coregroup.daterange import date_range
from coregroup.document import get_path
from coregroup.flows import KEY_PLACEHOLDER, MEMBER_PLACEHOLDER, Page
from coregroup.i18n import format_list, format_number
from coregroup.i18n import gettext as _
from coregroup.schema import GENERIC_MESSAGES, Schema, SchemaError, message_for, narrowed_options
from coregroup.webforms import Form


@dataclass(frozen=True)
class FieldSpec:
    """One question on a page: where its answer lives and the schema that governs it."""

    name: str  # the HTML name and id
    path: str  # slash path within the page's scope, placeholders filled in
    schema: dict
    required: bool
    kind: str
    label: str
    hint: str | None = None
    # Asked only when another field on the page has this value: (that field's name, value).
    show_if: tuple[str, str] | None = None
    required_when_shown: bool = False

    def error_anchor(self) -> str:
        return f"{self.name}-day" if self.kind == "string-date" else self.name


@dataclass(frozen=True)
class Context:
    """What a page needs beyond the schema: the case's members and the item being edited."""

    members: tuple[tuple[str, str], ...] = ()
    children: tuple[tuple[str, str], ...] = ()  # the case's children: (ref, name)
    member_ref: str | None = None
    item: dict | None = None
    key: str | None = None  # the item an "each" section is asking about
    # Choices a case allows, by what limits them: {"jurisdiction": ["physical", ...]}.
    limits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Members who have left, by id, with what to say if one is still chosen.
    departed: dict[str, tuple[str, str]] = field(default_factory=dict)
    scale_hint: str | None = None  # what 0 and 10 mean on the scaling tool
    # The dates a question's `x-date-range` is anchored to: "today", "conference".
    anchors: dict[str, dt.date] = field(default_factory=dict)

    def fill(self, raw_path: str) -> str:
        """A flow path with its placeholders filled in."""
        return raw_path.replace(MEMBER_PLACEHOLDER, self.member_ref or "").replace(
            KEY_PLACEHOLDER, self.key or ""
        )


def kind_of(field_schema: dict) -> str:
    """The builder key for a field: (type, format), then (type, widget), then type."""
    type_ = field_schema.get("type", "string")
    for key in ((type_, field_schema.get("format")), (type_, field_schema.get("x-widget")), type_):
        if key in TYPE_BUILDERS:
            return key if isinstance(key, str) else "-".join(key)
    raise KeyError(f"no form builder for schema type {type_!r}")


def _required_message(spec: FieldSpec) -> str:
    return message_for(spec.schema, SchemaError("", "required"))


class AskedWhen:
    """Skip a conditional question unless it is shown; when shown, require it if the schema does."""

    def __init__(self, other: str, value: str, required: bool, message: str):
        self.other, self.value, self.required, self.message = other, value, required, message

    def __call__(self, form, field):
        if form[self.other].data != self.value:
            field.errors[:] = []
            raise StopValidation()
        if not field.data or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            if self.required:
                raise StopValidation(self.message)
            raise StopValidation()


def _common_validators(spec: FieldSpec) -> list:
    if spec.show_if:
        other, value = spec.show_if
        return [AskedWhen(other, value, spec.required_when_shown, _required_message(spec))]
    if spec.required and spec.kind in ("string", "string-textarea"):
        # Spaces alone are not an answer: checked after tidying, not on the raw input.
        return [DataRequired(message=_required_message(spec))]
    if spec.required:
        return [InputRequired(message=_required_message(spec))]
    return [Optional()]


def _chosen(spec: FieldSpec, ctx: Context) -> list:
    value = get_path(ctx.item or {}, spec.path)
    return value if isinstance(value, list) else [value] if value else []


def _choices(spec: FieldSpec, ctx: Context) -> list[SelectChoice]:
    schema = spec.schema
    if schema.get("x-options") == "members":
        # Someone who has left stays visible where they are still chosen, so nothing is
        # silently dropped; choosing them again is refused with a clear message.
        gone = [ref for ref in _chosen(spec, ctx) if ref in ctx.departed]
        return [SelectChoice(ref, label) for ref, label in ctx.members] + [
            SelectChoice(ref, ctx.departed[ref][0]) for ref in gone
        ]
    if schema.get("x-options") == "children":
        return [SelectChoice(ref, name) for ref, name in ctx.children]
    enum = schema.get("enum") or schema.get("items", {}).get("enum", [])
    labels = schema.get("x-enum-labels") or schema.get("items", {}).get("x-enum-labels", {})
    allowed = ctx.limits.get(schema.get("x-options-limited-by"))
    chosen = _chosen(spec, ctx)
    return [
        SelectChoice(value, _(labels.get(value, value)))
        for value in enum
        if allowed is None or value in allowed or value in chosen
    ]


class DateInputField(Field):
    """A date asked as day, month and year boxes (the GOV.UK date input), stored as ISO 8601."""

    parts = ("day", "month", "year")

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default
        self.object_data = data
        self.data = data
        self.raw_parts = dict(zip(self.parts, _iso_parts(data), strict=True))
        self.error_parts = list(self.parts)  # which boxes to mark when there is an error
        if formdata is None:
            return
        self.raw_parts = {p: formdata.get(f"{self.name}-{p}", "").strip() for p in self.parts}
        self.raw_data = [v for v in self.raw_parts.values() if v]
        self.data = None
        if not self.raw_data:
            return
        missing = [p for p in self.parts if not self.raw_parts[p]]
        if missing:
            self.error_parts = missing
            self.process_errors.append(_date_missing_message(missing))
            return
        try:
            if not all(self.raw_parts[p].isdigit() for p in self.parts):
                raise ValueError
            day, month, year = (int(self.raw_parts[p]) for p in self.parts)
            if not 1000 <= year <= 9999:
                raise ValueError
            self.data = dt.date(year, month, day).isoformat()
        except (ValueError, OverflowError):
            self.process_errors.append(_("The date must be a real date, like 27 3 2027"))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()

    def _value(self):
        return self.data or ""


def _iso_parts(value) -> tuple[str, str, str]:
    if not value:
        return ("", "", "")
    day = dt.date.fromisoformat(value)
    return (str(day.day), str(day.month), str(day.year))


def _date_missing_message(missing: list[str]) -> str:
    words = {"day": _l("a day"), "month": _l("a month"), "year": _l("a year")}
    return _("The date must include %(parts)s", parts=format_list([str(words[m]) for m in missing]))


class WholeNumberField(IntegerField):
    """An integer field whose 'not a number' wording comes from the schema."""

    def __init__(self, *args, type_message: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_message = type_message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(self.type_message) from exc

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class StillMembers:
    """Refuse a member who has left the core group."""

    def __init__(self, departed: dict[str, tuple[str, str]]):
        self.departed = departed

    def __call__(self, form, field):
        chosen = field.data if isinstance(field.data, list) else [field.data]
        for ref in chosen:
            if ref in self.departed:
                raise ValidationError(self.departed[ref][1])


class MinItems:
    def __init__(self, minimum: int, message: str):
        self.minimum, self.message = minimum, message

    def __call__(self, form, field):
        if len(field.data or []) < self.minimum:
            raise ValidationError(self.message)


def _length(spec: FieldSpec) -> list:
    if "maxLength" not in spec.schema:
        return []
    limit = spec.schema["maxLength"]
    return [
        Length(max=limit, message=message_for(spec.schema, SchemaError("", "maxLength", limit)))
    ]


def _tidy(value):
    """Surrounding spaces are not part of an answer, and line endings become plain ones.

    (Characters that no one means to type are refused, not dropped: coregroup.webforms.)"""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _pattern(spec: FieldSpec) -> list:
    if "pattern" not in spec.schema:
        return []
    message = message_for(spec.schema, SchemaError("", "pattern"))
    return [Regexp(spec.schema["pattern"], message=message)]


def build_text(spec: FieldSpec, ctx: Context):
    return StringField(
        spec.label,
        validators=_common_validators(spec) + _length(spec) + _pattern(spec),
        filters=[_tidy],
    )


def build_textarea(spec: FieldSpec, ctx: Context):
    return TextAreaField(
        spec.label, validators=_common_validators(spec) + _length(spec), filters=[_tidy]
    )


def build_date(spec: FieldSpec, ctx: Context):
    validators = _common_validators(spec)
    checked = date_range(spec.schema.get("x-date-range"), ctx.anchors)
    if checked:
        validators.append(checked)
    return DateInputField(spec.label, validators=validators)


def build_number(spec: FieldSpec, ctx: Context):
    low, high = spec.schema.get("minimum"), spec.schema.get("maximum")
    validators = _common_validators(spec)
    if low is not None or high is not None:
        code, limit = ("minimum", low) if high is None else ("maximum", high)
        message = message_for(spec.schema, SchemaError("", code, limit))
        if low is not None and high is not None:
            message = _("Enter a whole number from %(low)s to %(high)s", low=low, high=high)
        validators.append(NumberRange(min=low, max=high, message=message))
    type_message = spec.schema.get("x-errors", {}).get("type")
    return WholeNumberField(
        spec.label,
        validators=validators,
        type_message=_(type_message) if type_message else _("Enter a whole number, like 4"),
    )


def build_radios(spec: FieldSpec, ctx: Context):
    choices = _choices(spec, ctx)
    narrowed_by = spec.schema.get("x-options-narrowed-by")
    if narrowed_by and ctx.item and ctx.item.get(narrowed_by):
        allowed = spec.schema.get("x-narrowed", {}).get(ctx.item[narrowed_by])
        if allowed:
            choices = [c for c in choices if c.value in allowed]
    validators = _common_validators(spec)
    if spec.schema.get("x-options") == "members":
        validators.append(StillMembers(ctx.departed))
    return RadioField(
        spec.label,
        choices=choices,
        validators=validators,
        validate_choice=True,
    )


def build_checkboxes(spec: FieldSpec, ctx: Context):
    validators = _common_validators(spec)
    minimum = spec.schema.get("minItems")
    if minimum:
        validators.append(
            MinItems(minimum, message_for(spec.schema, SchemaError("", "minItems", minimum)))
        )
    if spec.schema.get("x-options") == "members":
        validators.append(StillMembers(ctx.departed))
    return SelectMultipleField(spec.label, choices=_choices(spec, ctx), validators=validators)


def build_scale(spec: FieldSpec, ctx: Context):
    """A 0 to 10 score asked as a row of radios, so no one has to type a number."""
    low, high = spec.schema.get("minimum", 0), spec.schema.get("maximum", 10)
    choices = [SelectChoice(n, format_number(n)) for n in range(low, high + 1)]
    return RadioField(
        spec.label,
        choices=choices,
        coerce=_int_or_none,
        validators=_common_validators(spec),
        validate_choice=True,
    )


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value  # refused by validate_choice: not one of the scores


TYPE_BUILDERS = {
    ("string", "date"): build_date,
    ("integer", "scale"): build_scale,
    ("string", "textarea"): build_textarea,
    ("string", "radios"): build_radios,
    "string": build_text,
    "integer": build_number,
    ("array", "checkboxes"): build_checkboxes,
}
_BUILDER_BY_KIND = {k if isinstance(k, str) else "-".join(k): v for k, v in TYPE_BUILDERS.items()}


def required_when(item_schema: dict, field_name: str) -> dict[str, object]:
    """The sibling values that make a field required, read from the schema's if/then rules."""
    found = {}
    for rule in item_schema.get("allOf", []):
        when = rule.get("if", {}).get("properties", {})
        if field_name in rule.get("then", {}).get("required", []):
            found.update({k: v["const"] for k, v in when.items() if "const" in v})
    return found


def page_fields(
    schema: Schema, scope_path: tuple[str, ...], page: Page, ctx: Context
) -> list[FieldSpec]:
    """The questions of one page, with their schema, in the page's order."""
    specs = []
    for raw_path in page.fields:
        path = ctx.fill(raw_path)
        parts = list(scope_path) + raw_path.split("/")
        field_schema = dict(schema.at(parts))
        narrowed_by = field_schema.get("x-options-narrowed-by")
        if narrowed_by:
            item_schema = schema.at(parts[:-1]) if len(parts) > 1 else schema.raw
            field_schema["x-narrowed"] = narrowed_options(item_schema, parts[-1], narrowed_by)
        single = len(page.fields) == 1
        title = page.title if single and page.title else field_schema.get("title", path)
        hint = page.hint if single and page.hint else field_schema.get("description")
        if field_schema.get("x-widget") == "scale" and ctx.scale_hint:
            hint = ctx.scale_hint
        show_if = None
        required_shown = False
        if "x-show-if" in field_schema:
            (other, value), *_rest = field_schema["x-show-if"].items()
            show_if = (other.replace("/", "__"), value)
            item_schema = schema.at(parts[:-1]) if len(parts) > 1 else schema.raw
            required_shown = required_when(item_schema, parts[-1]).get(other) == value
        specs.append(
            FieldSpec(
                name=path.replace("/", "__"),
                path=path,
                schema=field_schema,
                required=schema.parent_requires(parts),
                kind=kind_of(field_schema),
                label=_(title),
                hint=hint if hint is ctx.scale_hint else (_(hint) if hint else None),
                show_if=show_if,
                required_when_shown=required_shown,
            )
        )
    return specs


def build_form_class(specs: list[FieldSpec], ctx: Context) -> type[Form]:
    """A fresh Form subclass holding one field per spec; never a shared class mutated."""
    attrs = {spec.name: _BUILDER_BY_KIND[spec.kind](spec, ctx) for spec in specs}
    return type("PageForm", (Form,), attrs)


def form_data(specs: list[FieldSpec], node: dict | None) -> dict:
    """Initial form data for a page from the part of the document it edits."""
    return {spec.name: get_path(node or {}, spec.path) for spec in specs}


def answers(specs: list[FieldSpec], form: Form) -> dict[str, object]:
    """The page's answers as document values by path; an empty answer is None (removed).

    An answer to a question that is hidden by its condition is not kept: it is None too.
    """
    result = {}
    for spec in specs:
        value = form[spec.name].data
        if spec.show_if and form[spec.show_if[0]].data != spec.show_if[1]:
            value = None
        if isinstance(value, str | list):
            value = value or None
        result[spec.path] = value
    return result


def generic_message(code: str) -> str:
    return str(GENERIC_MESSAGES.get(code, ""))
