"""The family's voice, for the professionals: each parent's or carer's views and what the child
thinks and feels, with who said it and when (the version that last changed it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from coregroup.extensions import db
from coregroup.i18n import format_list
from coregroup.i18n import gettext as _
from coregroup.models import Case, PlanVersion


@dataclass(frozen=True)
class Voice:
    who: str
    text: str
    when: dt.datetime | None  # when it was last changed
    version: int | None  # in which version of the plan


def family_voice(case: Case, document: dict, up_to: int | None = None) -> list[Voice]:
    """Every family member's views in `document` (the plan as of version `up_to`, or the
    latest), then the child's, each with who said it and when it was last changed."""
    query = select(PlanVersion.number, PlanVersion.created_at, PlanVersion.changes).where(
        PlanVersion.case_id == case.id
    )
    if up_to is not None:
        query = query.where(PlanVersion.number <= up_to)
    history = db.session.execute(query.order_by(PlanVersion.number.desc())).all()

    def last_change(prefix: str):
        for row in history:
            if any((c.get("path") or "").startswith(prefix) for c in row.changes or []):
                return row
        return None

    members = {m.ref: m for m in case.members}
    voices = []
    for ref, entry in (document.get("familyViews") or {}).items():
        text = (entry or {}).get("views", "").strip()
        if not text:
            continue
        member = members.get(ref)
        who = f"{member.name} ({member.role_label})" if member else _("A family member")
        row = last_change(f"/familyViews/{ref}")
        voices.append(
            Voice(who, text, row.created_at if row else None, row.number if row else None)
        )
    child = (document.get("childViews") or "").strip()
    if child:
        names = format_list([c.name for c in case.children]) or _("the child")
        row = last_change("/childViews")
        voices.append(
            Voice(
                _("%(names)s, as written in the plan", names=names),
                child,
                row.created_at if row else None,
                row.number if row else None,
            )
        )
    return voices
