"""A case's overview page: the children, the core group, the plan at a glance."""

from flask import Blueprint, g, render_template

from coregroup.access import case_route
from coregroup.plans import services

bp = Blueprint("cases", __name__, url_prefix="/cases/<int:case_id>")


@bp.get("")
@case_route
def overview(case_id: int):
    return render_template(
        "cases/overview.html",
        latest=services.latest_version(g.case),
        members=[m for m in g.case.members if m.left_on is None],
    )
