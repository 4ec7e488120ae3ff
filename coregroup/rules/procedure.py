"""What the procedures require of the plan and of a core group meeting, read from their content.

Pure functions: each takes plain data (the plan's JSON, the meeting's record, dates) and says
what is missing, in the procedures' own words, with where those words come from. The meeting
service (coregroup.meetings.services) and the plan's save (coregroup.plans.services) turn what
is found here into problems a person can put right; no tick box can stand in for content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# The two procedure texts (../shared/seeds/), by their titles.
CORE_GROUP = "The Core Group"
MEETING = "Core Group Meeting"

SOURCES = {
    "causes-of-concern": (
        MEETING,
        "The initial core group must clarify to the parents what are the causes of concern, "
        "what needs to change and any contingency planning should change not be effected",
    ),
    "what-must-change": (
        CORE_GROUP,
        "what needs to change for the child, and how will this be done",
    ),
    "intended-outcome": (
        MEETING,
        "The primary aim of the first core group is to develop a detailed child protection "
        "plan setting expected outcomes for the child within clear timescales",
    ),
    "measured": (CORE_GROUP, "how progress will be measured and positive change identified"),
    "actions": (
        CORE_GROUP,
        "The child protection plan should set out what work needs to be done, why, when and "
        "by whom",
    ),
    "contingency": (
        MEETING,
        "The initial core group must clarify to the parents what are the causes of concern, "
        "what needs to change and any contingency planning should change not be effected",
    ),
    "roles": (
        MEETING,
        "It is the responsibility for each member of the core group to have a clear sense of "
        "understanding of their role within the core group, what tasks they have responsibility "
        "for and the timescale for completion of the tasks. This must be achieved at the "
        "initial and future core group meetings",
    ),
    "contacts": (
        CORE_GROUP,
        "how often professionals will meet with the child and the family, and why",
    ),
    "chair-and-minutes": (
        MEETING,
        "A chair and minute taker will need to be identified; the chair does not need to be "
        "the lead social worker",
    ),
    "recommendation": (
        MEETING,
        "If the Core Group is the last Core Group prior to the Review Child Protection Case "
        "Conference, all members of the Core Group will make a recommendation in respect of "
        "whether the child/ren should remain subject to a Child Protection Plan",
    ),
    "scaling": (
        MEETING,
        "All members of the Core Group will assess progress with reference to the CSCP "
        "scaling tool",
    ),
    "plan-updated": (
        MEETING,
        "The Child Protection Plan will be updated to reflect what needs to happen next. "
        "Contingency planning should take place if there is no evidence of change in relation "
        "to the child's safety and welfare",
    ),
    "first-core-group": (
        CORE_GROUP,
        "The first core group meeting should take place within 10 days of the initial child "
        "protection conference to agree the details of the child protection plan",
    ),
    "next-meeting": (
        MEETING,
        "The date, time and location for the next core group meeting needs to be set as per "
        "the agreed timescale determined at the initial child protection case conference",
    ),
}

EXPLAINED = ("causes", "change", "contingency")  # what the first core group explains to parents


@dataclass(frozen=True)
class Gap:
    """Something the procedures require that the plan does not hold.

    `key` names the gap the same way in every version (by the need's or member's id, never by
    position), so a new version can be compared with the one before; `pointer` is where it is
    in this version (a JSON Pointer), for the field's error."""

    rule: str
    key: str
    pointer: str
    message: str

    @property
    def source(self) -> tuple[str, str]:
        return SOURCES[self.rule]


# Letters that draw nothing: the Hangul and Khmer fillers (Unicode's default-ignorable code
# points that are nonetheless letters), so they cannot pass for words.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def _blank(value) -> bool:
    """No answer: nothing, or text with no visible letter or digit in it (spaces, invisible
    characters such as a zero-width space or a Hangul filler, or a lone full stop are not
    content)."""
    if isinstance(value, str):
        return not any(ch.isalnum() and ch not in _INVISIBLE_LETTERS for ch in value)
    return not value


def has_words(value) -> bool:
    """Text a person can read: at least one visible letter or digit."""
    return not _blank(value)


def plan_gaps(plan: Mapping, members: Mapping[str, str]) -> list[Gap]:
    """What the plan must hold once the first core group has agreed it (the seeds' list of what
    a plan identifies). `members`: the current core group members who must have a role, as
    {member ref: name}."""
    gaps: list[Gap] = []

    def gap(rule, key, pointer, message):
        gaps.append(Gap(rule, key, pointer, str(message)))

    if _blank((plan.get("concerns") or {}).get("summary")):
        gap(
            "causes-of-concern",
            "concerns",
            "/concerns/summary",
            _l("Write the causes of concern: the parents must be told what the worries are"),
        )
    needs = plan.get("needs") or []
    if not needs:
        gap(
            "what-must-change",
            "needs",
            "/needs",
            _l("Add at least one need: what needs to change for the child, and how"),
        )
    for n, need in enumerate(needs):
        ident, number = need.get("id", str(n)), n + 1
        where = f"/needs/{n}"
        if _blank(need.get("intendedOutcome")):
            gap(
                "intended-outcome",
                f"needs/{ident}/outcome",
                f"{where}/intendedOutcome",
                _l("Need %(number)s: write its intended outcome", number=number),
            )
        if _blank(need.get("howMeasured")):
            gap(
                "measured",
                f"needs/{ident}/measured",
                f"{where}/howMeasured",
                _l("Need %(number)s: write how progress will be measured", number=number),
            )
        actions = need.get("actions") or []
        if not actions:
            gap(
                "actions",
                f"needs/{ident}/actions",
                f"{where}/actions",
                _l(
                    "Need %(number)s: add at least one action, with who will do it and by when",
                    number=number,
                ),
            )
        for a, action in enumerate(actions):
            if not action.get("who") or _blank(action.get("byWhen")):
                gap(
                    "actions",
                    f"needs/{ident}/actions/{action.get('id', a)}",
                    f"{where}/actions/{a}",
                    _l(
                        "Need %(number)s, action %(action)s: say who will do it and by when",
                        number=number,
                        action=a + 1,
                    ),
                )
    if _blank(plan.get("contingency")):
        gap(
            "contingency",
            "contingency",
            "/contingency",
            _l("Write the contingency plan: what will happen if things do not change"),
        )
    contacts = plan.get("contacts") or []
    if not contacts:
        gap(
            "contacts",
            "contacts",
            "/contacts",
            _l("Add how often professionals will see the child and the family, and why"),
        )
    for c, contact in enumerate(contacts):
        if _blank(contact.get("why")):
            gap(
                "contacts",
                f"contacts/{contact.get('id', c)}/why",
                f"/contacts/{c}/why",
                _l("Contact arrangement %(number)s: say why", number=c + 1),
            )
    with_role = {
        r.get("member") for r in plan.get("roles") or [] if not _blank(r.get("responsibilities"))
    }
    for ref, name in members.items():
        if ref not in with_role:
            gap(
                "roles",
                f"roles/{ref}",
                "/roles",
                _l("Write the role of %(name)s: what they are responsible for", name=name),
            )
    return gaps


def item_ids(plan: Mapping) -> set[str]:
    """The ids of the plan's needs, actions and contact arrangements."""
    needs = plan.get("needs") or []
    return (
        {n.get("id") for n in needs}
        | {a.get("id") for n in needs for a in n.get("actions") or []}
        | {c.get("id") for c in plan.get("contacts") or []}
    )


def _item_of(gap: Gap) -> str | None:
    """The need, action or contact arrangement a gap is in (None: the plan itself)."""
    parts = gap.key.split("/")
    if parts[0] == "needs" and len(parts) >= 4 and parts[2] == "actions":
        return parts[3]
    if parts[0] in ("needs", "contacts") and len(parts) >= 3:
        return parts[1]
    return None


def removed_content(
    before: list[Gap], after: list[Gap], existed: set[str] | None = None
) -> list[Gap]:
    """The gaps a new version opens that the version before did not have: required content
    taken out. A gap already there (a member co-opted since, who has no role yet) is not new,
    so it never blocks an unrelated change; nor is one in a need, action or contact
    arrangement added now (`existed`: the ids of those the version before had), which the
    next meeting asks to be completed."""
    had = {g.key for g in before}
    return [
        g
        for g in after
        if g.key not in had and (existed is None or _item_of(g) in (None, *existed))
    ]


# --- The meeting itself ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something a meeting's record must put right: `field` is the record's path."""

    rule: str
    field: str
    key: str | None
    message: str


def meeting_kind(
    is_first: bool,
    held_on: dt.date | None,
    next_meeting: dt.date | None,
    review_due: dt.date | None,
    interval_weeks: int | None,
) -> str:
    """The first core group is the first meeting completed under the plans now running; a later
    one is the last before review when the next would fall on or after the review conference,
    or the review falls within the interval at which the core group meets."""
    if is_first:
        return "first"
    if review_due is None:
        return "subsequent"
    if next_meeting is not None and next_meeting >= review_due:
        return "last-before-review"
    if (
        held_on is not None
        and interval_weeks
        and review_due <= held_on + dt.timedelta(weeks=interval_weeks)
    ):
        return "last-before-review"
    return "subsequent"


def attendance(record: Mapping, family: Iterable[str] = ()) -> list[Finding]:
    """Who came is consistent: the chair and minute taker are at the meeting, nobody is both at
    it and sending apologies, and each apology brings a written update or the reason there is
    none."""
    found: list[Finding] = []
    present = set(record.get("present") or [])
    apologies = list(record.get("apologies") or [])
    if record.get("chair") and record["chair"] not in present:
        found.append(
            Finding(
                "chair-and-minutes",
                "present",
                None,
                str(_l("The chair must be at the meeting: select them as present")),
            )
        )
    if record.get("minuteTaker") and record["minuteTaker"] not in present:
        found.append(
            Finding(
                "chair-and-minutes",
                "present",
                None,
                str(_l("The minute taker must be at the meeting: select them as present")),
            )
        )
    if present & set(apologies):
        found.append(
            Finding(
                "chair-and-minutes",
                "apologies",
                None,
                str(_l("Nobody can be at the meeting and send apologies: correct who came")),
            )
        )
    updates = record.get("writtenUpdates") or {}
    for ref in apologies:
        given = updates.get(ref) or {}
        if ref not in present and _blank(given.get("update")) and _blank(given.get("noUpdate")):
            found.append(
                Finding(
                    "scaling",
                    f"writtenUpdates/{ref}/update",
                    ref,
                    str(_l("Record their written update, or why there is none")),
                )
            )
    return found


def explained_to_parents(
    record: Mapping, parents_present: bool, held_on: dt.date | None = None
) -> list[Finding]:
    """At the first core group the causes of concern, what must change and the contingency plan
    are explained to the parents present; with none present, the record says how and when they
    will be."""
    if parents_present:
        missing = [item for item in EXPLAINED if item not in (record.get("explained") or [])]
        if missing:
            return [
                Finding(
                    "causes-of-concern",
                    "explained",
                    None,
                    str(
                        _l(
                            "Explain the causes of concern, what needs to change and the "
                            "contingency plan to the parents, and tick each"
                        )
                    ),
                )
            ]
        return []
    later = record.get("explainLater") or {}
    found = []
    if _blank(later.get("how")):
        found.append(
            Finding(
                "causes-of-concern",
                "explainLater/how",
                None,
                str(_l("No parent is at the meeting: say how the plan will be explained to them")),
            )
        )
    if _blank(later.get("by")):
        found.append(
            Finding(
                "causes-of-concern",
                "explainLater/by",
                None,
                str(_l("No parent is at the meeting: say by when it will be explained to them")),
            )
        )
    elif held_on is not None and later["by"] < held_on.isoformat():
        found.append(
            Finding(
                "causes-of-concern",
                "explainLater/by",
                None,
                str(_l("The plan is explained to the parents after the meeting, not before it")),
            )
        )
    return found


def late_first_core_group(held_on: dt.date, due: dt.date | None) -> bool:
    return due is not None and held_on > due


def due_soon(due: dt.date, today: dt.date, soon_by: dt.date) -> bool:
    """Due from today up to `soon_by` (five working days on: rules.add_working_days)."""
    return today <= due <= soon_by
