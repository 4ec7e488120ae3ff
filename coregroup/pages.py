"""One question page, for any document: build the form, bind it, check it, hand back answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from wtforms import HiddenField

from coregroup import formgen
from coregroup.flows import Page
from coregroup.schema import Schema
from coregroup.webforms import Form


@dataclass(frozen=True)
class PageState:
    """What a page showed, carried by its form: the plan version it was shown from (the
    meeting record has none), a fingerprint of each answer shown, and which answers it showed
    as clashes to settle. Not a secret, and not trusted for anything but noticing changes."""

    version: int | None
    shown: dict[str, str]
    clashing: tuple[str, ...] = ()

    def encode(self) -> str:
        body = {"v": self.version, "f": self.shown}
        if self.clashing:
            body["c"] = list(self.clashing)
        return json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, raw) -> PageState | None:
        try:
            body = json.loads(raw or "")
            version, shown = body.get("v"), body["f"]
            clashing = tuple(body.get("c", ()))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if not (version is None or (isinstance(version, int) and not isinstance(version, bool))):
            return None
        if not isinstance(shown, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in shown.items()
        ):
            return None
        if not all(isinstance(p, str) for p in clashing):
            return None
        return cls(version, shown, clashing)


def state_of(specs, data: dict, version: int | None = None) -> str:
    """The page state of a page showing `data` (form data by field name)."""
    from coregroup.plans.drafts import digest

    shown = {spec.path: digest(data.get(spec.name)) for spec in specs}
    return PageState(version, shown).encode()


def keep_choices(state: PageState | None, specs) -> tuple[dict[str, str], set[str]]:
    """What the person chose for each clash the page showed ("mine": the answer in the box;
    "theirs": the other), and the clashes left unchosen, by path."""
    if state is None:
        return {}, set()
    names = {spec.path: spec.name for spec in specs}
    keep = {
        path: request.form.get(f"keep__{names[path]}") for path in state.clashing if path in names
    }
    unchosen = {path for path, choice in keep.items() if choice not in ("mine", "theirs")}
    return {p: c for p, c in keep.items() if p not in unchosen}, unchosen


@dataclass
class Asked:
    specs: list[formgen.FieldSpec]
    form: Form
    answers: dict | None  # set when the page was sent and passed every check

    @property
    def status(self) -> int:
        return 400 if self.form.errors else 200


def ask(
    schema: Schema,
    scope_path: tuple[str, ...],
    page: Page,
    ctx: formgen.Context,
    node: dict | None,
    check: Callable[[dict], dict[str, str]] | None = None,
    version: int | None = None,
) -> Asked:
    """Show a page's questions filled from `node`, or take its answers.

    The form carries what the page showed (PageState; `version`: the plan version it was shown
    from), so an answer sent from a page that is out of date is noticed, never written over.

    WTForms validators (from the schema) give the quick answer; `check` is the last word (the
    whole document against the schema, procedure rules) and its messages, keyed by path, are
    shown at their fields.
    """
    specs = formgen.page_fields(schema, scope_path, page, ctx)
    form_class = type(
        "StatefulPageForm", (formgen.build_form_class(specs, ctx),), {"page_state": HiddenField()}
    )
    if request.method != "POST":
        data = formgen.form_data(specs, node)
        state = state_of(specs, data, version)
        return Asked(specs, form_class(data={**data, "page_state": state}), None)
    form = form_class()
    if not form.validate():
        return Asked(specs, form, None)
    answers = formgen.answers(specs, form)
    problems = check(answers) if check else {}
    by_path = {spec.path: spec.name for spec in specs}
    for path, message in problems.items():
        form[by_path[path]].errors = [message]
    return Asked(specs, form, None if problems else answers)
