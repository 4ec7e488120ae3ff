"""What is due in each case, kept as rows (DueItem) so that a caseload's dashboard is one
indexed query, whatever the caseload and whatever the size of the database.

A case's rows (and, for My tasks, each action with each member responsible for it, and the
case's next dates) are the facts of coregroup.rules.attention: what is due, and by when, whatever
the day. They are rewritten in the same commit as anything they come from (the case, its
children's plans, members, plan versions, meetings, circulations, requests for a conference,
the next meeting as changed): a session hook notes what a unit of work touched, and just
before it commits, rewrites those cases' rows. Whether a row shows on a given day, and how
(overdue, due soon, needs a decision), is decided when it is read (`kind_of`), so rows never
go stale with the calendar. `rebuild()` rewrites every case's (after a change to the rules, or
a bulk load): `flask --app app due-items`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Date, and_, case, delete, event, func, insert, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from coregroup import rules
from coregroup.extensions import db
from coregroup.models import (
    ArrangedMeeting,
    Case,
    CaseDates,
    Child,
    ChildPlan,
    Circulation,
    ConferenceRequest,
    DueItem,
    Meeting,
    Member,
    PlanVersion,
    ReviewConference,
    TaskItem,
)
from coregroup.rules.attention import ALWAYS, REVIEW_SOON, SOON_WORKING_DAYS, Fact, facts

_TOUCHED = "coregroup.dueitems.touched"
_SOURCES = (
    Case,
    Child,
    ChildPlan,
    Member,
    PlanVersion,
    Meeting,
    Circulation,
    ConferenceRequest,
    ReviewConference,
    ArrangedMeeting,
)


def _case_id(thing) -> int | None:
    if isinstance(thing, Case):
        return thing.id
    if isinstance(thing, ChildPlan):
        return thing.child.case_id if thing.child is not None else None
    if isinstance(thing, Circulation):
        meeting = thing.meeting or db.session.get(Meeting, thing.meeting_id)
        return meeting.case_id if meeting is not None else None
    return thing.case_id


@event.listens_for(Session, "before_flush")
def _note(session: Session, flush_context, instances) -> None:
    """Remember what this unit of work writes that due items come from: the objects themselves
    (a new one has no ids yet), and the case of each one deleted (gone after the flush)."""
    touched = session.info.setdefault(_TOUCHED, set())
    for thing in (*session.new, *session.dirty):
        if isinstance(thing, _SOURCES):
            touched.add(thing)
    for thing in session.deleted:
        if isinstance(thing, _SOURCES) and not isinstance(thing, Case):
            touched.add(_case_id(thing))


@event.listens_for(Session, "before_commit")
def _rewrite(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # what is still to flush noted, and every id known
    if not session.info.get(_TOUCHED):
        return
    touched = session.info.pop(_TOUCHED, set())
    ids = set()
    for thing in touched:
        found = thing if isinstance(thing, int) or thing is None else _case_id(thing)
        if found is not None:
            ids.add(found)
    session.info.pop(_TOUCHED, None)  # what loading them noted
    if ids:
        write(sorted(ids), session)
        session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)


def write(case_ids: list[int], session: Session | None = None) -> None:
    """Rewrite these cases' due items, task items and dates from their records."""
    session = session or db.session
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.id.in_(case_ids))
            .options(
                selectinload(Case.members).selectinload(Member.children),
                selectinload(Case.children).selectinload(Child.plans),
                selectinload(Case.review_conferences),
                selectinload(Case.arranged_meetings),
            )
        )
    )
    due, tasks, dates = [], [], []
    for found in read(cases, session):
        due += [{"case_id": found.case.id, **_row(fact)} for fact in found.facts]
        tasks += _tasks(found.case, found.plan)
        timeline = found.timeline
        dates.append(
            {
                "case_id": found.case.id,
                "next_meeting": timeline.next_core_group_planned,
                "next_meeting_due": timeline.next_core_group_due,
                "review_due": timeline.review_conference_due,
            }
        )
    for table in (DueItem, TaskItem, CaseDates):
        session.execute(delete(table).where(table.case_id.in_(case_ids)))
    for table, rows in ((DueItem, due), (TaskItem, tasks), (CaseDates, dates)):
        if rows:
            session.execute(insert(table), rows)


def _tasks(owner: Case, plan: dict) -> list[dict]:
    """Each action of the plan with each member responsible for it, as that member may read
    the plan (a parent: what concerns their own children)."""
    from coregroup.plans import services as plans
    from coregroup.plans.audience import for_member

    if owner.is_closed or not plan.get("needs"):
        return []
    schema = plans.plan_schema()
    rows = []
    responsible = {
        ref for need in plan["needs"] for a in need.get("actions", []) for ref in a.get("who", [])
    }
    for member in owner.members:
        if member.ref not in responsible:
            continue
        document = for_member(schema, plan, member) if member.is_family else plan
        for need in document.get("needs", []):
            for action in need.get("actions", []):
                if member.ref in action.get("who", []):
                    rows.append(
                        {
                            "case_id": owner.id,
                            "member_id": member.id,
                            "need": need.get("whatMustChange"),
                            "what": action.get("what"),
                            "by_when": (
                                dt.date.fromisoformat(action["byWhen"])
                                if action.get("byWhen")
                                else None
                            ),
                            "status": action.get("status"),
                        }
                    )
    return rows


def _row(fact: Fact) -> dict:
    return {
        "code": fact.code,
        "due_on": fact.when,
        "meeting_number": fact.meeting,
        "need_number": fact.need,
        "location": fact.location,
        "count": fact.count,
        "what": fact.what or None,
    }


@dataclass(frozen=True)
class Read:
    case: Case
    timeline: object  # coregroup.meetings.services.Timeline
    plan: dict  # the latest version's document
    facts: list[Fact]


def read(cases: list[Case], session: Session | None = None) -> Iterable[Read]:
    """Each case's timeline, latest plan and facts, read with a fixed number of queries however
    many cases."""
    from coregroup.meetings import services as meetings

    session = session or db.session
    ids = [c.id for c in cases]
    by_case: dict[int, list[Meeting]] = {case_id: [] for case_id in ids}
    for meeting in session.scalars(
        select(Meeting)
        .where(Meeting.case_id.in_(ids))
        .order_by(Meeting.number)
        .options(selectinload(Meeting.circulations))
    ):
        by_case[meeting.case_id].append(meeting)
    # A closed case's plan asks nothing more (its tasks end with it): not read.
    running = [c.id for c in cases if not c.is_closed]
    newest = (
        select(PlanVersion.case_id, func.max(PlanVersion.number).label("number"))
        .where(PlanVersion.case_id.in_(running))
        .group_by(PlanVersion.case_id)
        .subquery()
    )
    latest = {
        v.case_id: v
        for v in session.scalars(
            select(PlanVersion).join(
                newest,
                (PlanVersion.case_id == newest.c.case_id) & (PlanVersion.number == newest.c.number),
            )
        )
    }
    asked: dict[int, list] = {case_id: [] for case_id in ids}
    for request in session.scalars(
        select(ConferenceRequest)
        .where(ConferenceRequest.case_id.in_(ids), ConferenceRequest.answered_by_id.is_(None))
        .order_by(ConferenceRequest.requested_on, ConferenceRequest.id)
    ):
        asked[request.case_id].append(request)
    for found_case in cases:
        case_meetings = by_case[found_case.id]
        outstanding = {
            m.number: len(meetings.circulation_outstanding(m))
            for m in case_meetings
            if m.is_completed
        }
        version = latest.get(found_case.id)
        plan = version.document if version else {}
        timeline = meetings.timeline(found_case, case_meetings)
        yield Read(
            found_case,
            timeline,
            plan,
            facts(
                found_case,
                timeline,
                case_meetings,
                plan,
                outstanding,
                asked[found_case.id],
            ),
        )


def rebuild(batch: int = 500, session: Session | None = None) -> int:
    """Rewrite every case's due items, a batch of cases per transaction; how many cases."""
    session = session or db.session
    done, last = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(Case.id)
                .where(Case.id > last, Case.reduced_on.is_(None))
                .order_by(Case.id)
                .limit(batch)
            )
        )
        if not ids:
            return done
        write(ids, session)
        session.commit()
        session.expunge_all()
        done, last = done + len(ids), ids[-1]


def rewrite_where_membership_turned(day: dt.date, days: int = 7) -> int:
    """Rewrite the cases where someone joined or left the core group by date (a date set
    earlier, reached now) in the `days` days up to `day`: who is owed a meeting's plan and
    minutes changes with the calendar, not with a write. Run daily (flask reminders); how many
    cases."""
    since = day - dt.timedelta(days=days)
    ids = sorted(
        set(
            db.session.scalars(
                select(Member.case_id).where(
                    or_(Member.joined_on.between(since, day), Member.left_on.between(since, day))
                )
            )
        )
    )
    if ids:
        write(ids)
        db.session.commit()
    return len(ids)


def soon_by(jurisdictions: Iterable[str], today: dt.date) -> dict[str, dt.date]:
    """The last day that counts as due soon (five working days on), for each jurisdiction."""
    return {
        place: rules.add_working_days(today, SOON_WORKING_DAYS, rules.profile(place))
        for place in set(jurisdictions)
    }


def kind_of(today: dt.date, soon: dict[str, dt.date]):
    """coregroup.rules.attention.classify, in SQL: "overdue", "attention", "due", or NULL (not
    shown yet). `soon`: soon_by() for the jurisdictions of the cases read (joined as Case)."""
    last_soon_day = (
        case(
            *((Case.jurisdiction == place, literal(day, Date)) for place, day in soon.items()),
            else_=literal(today, Date),
        )
        if soon
        else literal(today, Date)
    )
    return case(
        (DueItem.code.in_(ALWAYS), "attention"),
        (DueItem.due_on < today, "overdue"),
        (
            and_(DueItem.code.in_(("core-group", "circulation")), DueItem.due_on <= last_soon_day),
            "due",
        ),
        (
            and_(DueItem.code == "no-recommendation", DueItem.due_on <= today + REVIEW_SOON),
            "attention",
        ),
        else_=None,
    )
