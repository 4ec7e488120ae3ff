"""The rules in public: each profile with its sources, a calculator, and the timescales API."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from coregroup import rules
from coregroup.api.schemas import TIMESCALES, TimescalesQuerySchema
from coregroup.api.spec import operation

bp = Blueprint("rules", __name__)


def _date_arg(name: str) -> tuple[dt.date | None, str | None]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None, _("%(name)s must be a date like 2027-03-27", name=name)
    if not 1900 <= day.year <= 2200:
        return None, _("%(name)s must be a date between 1900 and 2200", name=name)
    return day, None


def _calculate():
    """Read the calculator's query; returns (result, {field: problem})."""
    problems = {}
    profile_id = request.args.get("jurisdiction", "")
    if profile_id not in rules.load_profiles():
        problems["jurisdiction"] = _(
            "jurisdiction must be one of %(names)s", names=", ".join(rules.load_profiles())
        )
    conference, problem = _date_arg("conference")
    if problem or conference is None:
        problems["conference"] = problem or _("conference is required")
    meeting, problem = _date_arg("meeting")
    if problem:
        problems["meeting"] = problem
    weeks = None
    if request.args.get("weeks"):
        raw = request.args["weeks"]
        weeks = int(raw) if raw.isdigit() and 1 <= int(raw) <= 52 else None
        if weeks is None:
            problems["weeks"] = _("weeks must be a whole number from 1 to 52")
    if problems:
        return None, problems
    return rules.timescales(rules.profile(profile_id), conference, meeting, weeks), {}


@bp.get("/api/v1/timescales")
@operation(None, {200: TIMESCALES}, query=TimescalesQuerySchema, errors=(400,))
def timescales_api():
    """Due dates for any dates under any place's rules.

    No case data is involved, so no token is needed."""
    result, problems = _calculate()
    if problems:
        field, message = next(iter(problems.items()))
        return jsonify(
            error="invalid",
            field=f"/{field}",
            message=message,
            errors=[{"field": f"/{k}", "message": v} for k, v in problems.items()],
        ), 400
    return jsonify(result)


@bp.get("/rules")
def index():
    asked = any(request.args.get(k) for k in ("jurisdiction", "conference", "meeting", "weeks"))
    result, problems = _calculate() if asked else (None, {})
    return render_template(
        "rules/index.html",
        profiles=rules.load_profiles().values(),
        result=result,
        problems=problems,
    ), (400 if problems else 200)
