"""The rules in public: each profile with its sources, and a calculator (the same as the
timescales API: coregroup.api.views)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from coregroup import rules

bp = Blueprint("rules", __name__)


@bp.get("/rules")
def index():
    asked = any(request.args.get(k) for k in ("jurisdiction", "conference", "meeting", "weeks"))
    result, problems = rules.calculate(request.args) if asked else (None, {})
    return render_template(
        "rules/index.html",
        profiles=rules.load_profiles().values(),
        result=result,
        problems=problems,
    ), (400 if problems else 200)
