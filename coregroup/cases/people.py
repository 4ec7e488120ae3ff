"""People in a case's core group, as forms offer them."""

from __future__ import annotations

import datetime as dt

from coregroup import formgen
from coregroup.i18n import format_date
from coregroup.i18n import gettext as _


def member_context(case, member, item=None, **extra) -> formgen.Context:
    """Choices of people for a form: current members; leavers only where already chosen."""
    names = {m.ref: f"{m.name} ({m.role_label})" for m in case.members}
    current = tuple((m.ref, names[m.ref]) for m in case.members if m.is_current)
    departed = {
        m.ref: (
            _("%(name)s (left the core group)", name=names[m.ref]),
            _(
                "%(name)s left the core group on %(when)s. Choose someone who is still in it",
                name=m.name,
                when=format_date(m.left_on, "d MMMM yyyy"),
            ),
        )
        for m in case.members
        if m.has_left
    }
    from coregroup.meetings.services import case_rules

    extra.setdefault("limits", {"jurisdiction": case_rules(case).categories})
    extra.setdefault("anchors", {"today": dt.date.today(), "conference": case.first_conference})
    extra.setdefault("children", tuple((c.ref, c.name) for c in case.children))
    return formgen.Context(
        members=current, member_ref=member.ref, item=item, departed=departed, **extra
    )
