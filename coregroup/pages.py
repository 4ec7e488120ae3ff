"""One question page, for any document: build the form, bind it, check it, hand back answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from flask_wtf import FlaskForm

from coregroup import formgen
from coregroup.flows import Page
from coregroup.schema import Schema


@dataclass
class Asked:
    specs: list[formgen.FieldSpec]
    form: FlaskForm
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
) -> Asked:
    """Show a page's questions filled from `node`, or take its answers.

    WTForms validators (from the schema) give the quick answer; `check` is the last word (the
    whole document against the schema, procedure rules) and its messages, keyed by path, are
    shown at their fields.
    """
    specs = formgen.page_fields(schema, scope_path, page, ctx)
    form_class = formgen.build_form_class(specs, ctx)
    if request.method != "POST":
        return Asked(specs, form_class(data=formgen.form_data(specs, node)), None)
    form = form_class()
    if not form.validate():
        return Asked(specs, form, None)
    answers = formgen.answers(specs, form)
    problems = check(answers) if check else {}
    by_path = {spec.path: spec.name for spec in specs}
    for path, message in problems.items():
        form[by_path[path]].errors = [message]
    return Asked(specs, form, None if problems else answers)
