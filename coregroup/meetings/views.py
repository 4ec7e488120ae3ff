"""Core group meetings: record one through its guided flow, complete it, circulate the minutes."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from coregroup import audit, contacts, pages
from coregroup import document as docs
from coregroup.access import case_route
from coregroup.cases.people import member_context
from coregroup.formgen import DateInputField
from coregroup.i18n import gettext as _
from coregroup.i18n import ngettext
from coregroup.meetings import circulation, presenters, schedule, services
from coregroup.params import small_int
from coregroup.webforms import Form

bp = Blueprint("meetings", __name__, url_prefix="/cases/<int:case_id>/meetings")


def today() -> dt.date:
    return dt.date.today()


def _meeting_or_404(number: int):
    """A meeting; one still being recorded only for those who record meetings."""
    meeting = services.get_meeting(g.case, number)
    if meeting is None or not (meeting.is_completed or g.can("meeting.record")):
        abort(404)
    return meeting


class NoLongerRecorded(Exception):
    """A page of a meeting that was completed or abandoned meanwhile was sent."""

    def __init__(self, meeting):
        self.meeting = meeting


def _open_meeting_or_404(number: int):
    meeting = _meeting_or_404(number)
    if meeting.status != "open":  # completed, or abandoned: no longer recorded
        if request.method == "POST":
            raise NoLongerRecorded(meeting)
        abort(404)
    return meeting


@bp.errorhandler(NoLongerRecorded)
def _no_longer_recorded(found: NoLongerRecorded):
    """Sent from a page opened before the meeting was completed (or abandoned): nothing is
    lost. A second press of "Complete" goes on to the circulation; any other page says what
    happened and shows what was typed, to copy."""
    meeting = found.meeting
    if request.endpoint == "meetings.complete" and meeting.is_completed:
        return redirect(
            url_for("meetings.circulate", case_id=meeting.case_id, number=meeting.number)
        )
    from coregroup.access import typed_answers

    return render_template(
        "meetings/no_longer_recorded.html", meeting=meeting, typed=typed_answers()
    ), 409


def _section_or_404(meeting, section_id: str, ctx):
    try:
        section = services.meeting_flow().section(section_id)
    except KeyError:
        abort(404)
    if not services.applies(section, ctx):
        abort(404)
    return section


@bp.get("")
@case_route("meeting.view")
def index(case_id: int):
    return render_index()


def render_index(status: int = 200):
    """The case's meetings, the dates the procedures set, and the scaling scores."""
    case_meetings = services.meetings(g.case)
    return render_template(
        "meetings/index.html",
        meetings=case_meetings,
        timeline=services.timeline(g.case, case_meetings),
        arranged=schedule.arranged(g.case, case_meetings),
        rules=services.case_rules(g.case),
        scores=presenters.score_series(case_meetings, g.case.members),
        started=services.open_meeting_of(g.case),
        readers=_readers() if g.can("meeting.record") and not g.case.is_closed else None,
        form=Form(),
        summary_errors=[],
    ), status


def _readers() -> list[dict]:
    """Each current member, and whether they have opened the latest plan since it was saved
    (the lead makes sure everyone comes with it)."""
    from coregroup import reminders

    opened = reminders.opened_latest(g.case)
    return [
        {"member": m, "has_account": m.user_id is not None, "opened": opened.get(m.id)}
        for m in g.case.members
        if m.is_current
    ]


@bp.post("")
@case_route("meeting.record")
def create(case_id: int):
    """Start recording the next meeting, or carry on with the one started: which meeting it is
    (the first core group, a later one, the last before review) is worked out, not chosen."""
    form = Form()
    if not form.validate():
        abort(400)
    meeting = services.open_meeting(g.case)
    return redirect(url_for("meetings.show", case_id=case_id, number=meeting.number))


def has_words(message):
    """A WTForms check: the answer has a visible letter or digit (coregroup.rules.procedure)."""
    from wtforms.validators import StopValidation

    from coregroup.rules import procedure

    def check(form, field):
        if not procedure.has_words(field.data):
            raise StopValidation(str(message))

    return check


class AbandonForm(Form):
    reason = TextAreaField(
        _l("Why will this meeting not be completed?"),
        description=_l(
            "For example, it was cancelled, or it was started by mistake. The reason is kept "
            "with the meeting."
        ),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Enter why the meeting will not be completed")),
            has_words(_l("Enter why the meeting will not be completed")),
            Length(max=2000, message=_l("Use 2000 characters or fewer")),
        ],
    )


@bp.route("/<int:number>/abandon", methods=["GET", "POST"])
@case_route("meeting.record")
def abandon(case_id: int, number: int):
    meeting = _open_meeting_or_404(number)
    form = AbandonForm()
    if request.method == "POST" and form.validate():
        services.abandon(meeting, current_user, g.member, form.reason.data.strip())
        flash(
            _("Meeting %(number)s will not be completed. The reason is kept.", number=number),
            "success",
        )
        return redirect(url_for("meetings.index", case_id=case_id))
    return render_template("meetings/abandon.html", meeting=meeting, form=form), (
        400 if form.errors else 200
    )


@bp.get("/<int:number>")
@case_route("meeting.view")
def show(case_id: int, number: int):
    meeting = _meeting_or_404(number)
    if meeting.status == "abandoned":  # what was recorded, with why it stopped
        return redirect(url_for("meetings.minutes", case_id=case_id, number=number))
    if meeting.is_completed or not g.can("meeting.record"):
        return redirect(url_for("meetings.minutes", case_id=case_id, number=number))
    ctx = services.context_for(meeting)
    from coregroup.plans import navigation

    gaps = [
        {
            "text": gap.message,
            "href": navigation.edit_url(case_id, ctx.plan, gap.pointer, g.member.ref),
        }
        for gap in services.plan_gaps(g.case, ctx.plan)
    ]
    return render_template(
        "meetings/task_list.html",
        meeting=meeting,
        kind=ctx.kind,
        gaps=gaps,
        warnings=services.warnings(meeting),
        sections=presenters.section_statuses(ctx),
    )


@bp.get("/<int:number>/<section_id>")
@case_route("meeting.record")
def section(case_id: int, number: int, section_id: str):
    meeting = _open_meeting_or_404(number)
    ctx = services.context_for(meeting)
    found = _section_or_404(meeting, section_id, ctx)
    if not found.each:
        return redirect(_page_url(meeting, found, None, found.pages[0]))
    return render_template(
        "meetings/keys.html",
        meeting=meeting,
        section=found,
        keys=presenters.key_statuses(found, ctx),
    )


def _page_url(meeting, section, key, page, **query):
    if key is None:
        return url_for(
            "meetings.page",
            case_id=meeting.case_id,
            number=meeting.number,
            section_id=section.id,
            page_id=page.id,
            **query,
        )
    return url_for(
        "meetings.key_page",
        case_id=meeting.case_id,
        number=meeting.number,
        section_id=section.id,
        key=key,
        page_id=page.id,
        **query,
    )


def _after(meeting, section, key, page, ctx) -> str:
    if request.args.get("return") == "check":
        return url_for("meetings.check", case_id=meeting.case_id, number=meeting.number)
    index = section.pages.index(page)
    if index + 1 < len(section.pages):
        return _page_url(meeting, section, key, section.pages[index + 1])
    if key is not None:
        keys = [k for k, _label in services.keys_for(section, ctx)]
        if key in keys and keys.index(key) + 1 < len(keys):
            return _page_url(meeting, section, keys[keys.index(key) + 1], section.pages[0])
    return url_for("meetings.show", case_id=meeting.case_id, number=meeting.number)


def _ask(meeting, section, key, page_id):
    ctx = services.context_for(meeting)
    try:
        page = section.page(page_id)
    except KeyError:
        abort(404)
    labels = dict(services.keys_for(section, ctx))
    if section.each and key not in labels:
        abort(404)
    form_ctx = member_context(
        g.case, g.member, meeting.record, key=key, scale_hint=presenters.scale_hint()
    )

    def check(answers):
        return {
            **services.page_schema_problems(meeting, answers),
            **services.attendance_problems(meeting, answers),
            **services.roles_problems(meeting, answers),
            **services.next_meeting_problems(meeting, answers, g.case, today()),
        }

    asked = pages.ask(services.meeting_schema(), (), page, form_ctx, meeting.record, check)
    clashes, unchosen = {}, set()
    if asked.answers is not None:
        state = pages.PageState.decode(asked.form.page_state.data)
        keep, unchosen = pages.keep_choices(state, asked.specs)
        if unchosen:
            clashes = {path: docs.get_path(meeting.record, path) for path in state.clashing}
        else:
            clashes = services.update_record(meeting, asked.answers, state, keep)
            if not clashes:
                return redirect(_after(meeting, section, key, page, ctx))
            asked.form.page_state.data = _clash_state(asked, clashes)
    caption = _(section.title) + (f" › {labels[key]}" if key else "")
    return render_template(
        "question_page.html",
        form=asked.form,
        specs=asked.specs,
        page=page,
        caption=caption,
        meeting=meeting,
        context_template="meetings/_need_context.html" if section.id == "review" else None,
        need=presenters.need_context(ctx, key) if section.id == "review" else None,
        back_url=url_for("meetings.show", case_id=meeting.case_id, number=meeting.number),
        clashes=_clash_rows(asked, clashes, unchosen),
    ), (409 if clashes else asked.status)


def _clash_state(asked, clashes: dict) -> str:
    from coregroup.plans.drafts import digest

    shown = {
        spec.path: digest(clashes[spec.path] if spec.path in clashes else asked.answers[spec.path])
        for spec in asked.specs
    }
    return pages.PageState(None, shown, tuple(p for p in shown if p in clashes)).encode()


def _clash_rows(asked, clashes: dict, unchosen: set) -> list[dict]:
    """Each clash as the page shows it: the question, who recorded the other answer and when
    (from the audit trail: their change to this page), and both answers in words."""
    from coregroup.plans.presenters import display

    if not clashes:
        return []
    event = audit.last_change_by_another(g.case.id, current_user.id, f"POST {request.path}")
    author = next((m for m in g.case.members if event and m.user_id == event.user_id), None)
    members = {m.ref: f"{m.name} ({m.role_label})" for m in g.case.members}
    typed = {spec.path: asked.form[spec.name].data for spec in asked.specs}
    return [
        {
            "name": spec.name,
            "label": spec.label,
            "by": f"{author.name} ({author.role_label})" if author else _("someone else"),
            "at": event.at if event else None,
            "version": None,
            "theirs": display(spec.schema, clashes[spec.path], members) or _("(no answer)"),
            "yours": display(spec.schema, typed.get(spec.path), members) or _("(no answer)"),
            "error": _("Choose which answer to keep") if spec.path in unchosen else None,
        }
        for spec in asked.specs
        if spec.path in clashes
    ]


@bp.route("/<int:number>/<section_id>/<page_id>", methods=["GET", "POST"])
@case_route("meeting.record")
def page(case_id: int, number: int, section_id: str, page_id: str):
    meeting = _open_meeting_or_404(number)
    found = _section_or_404(meeting, section_id, services.context_for(meeting))
    if found.each:
        abort(404)
    return _ask(meeting, found, None, page_id)


@bp.route("/<int:number>/<section_id>/<key>/<page_id>", methods=["GET", "POST"])
@case_route("meeting.record")
def key_page(case_id: int, number: int, section_id: str, key: str, page_id: str):
    meeting = _open_meeting_or_404(number)
    found = _section_or_404(meeting, section_id, services.context_for(meeting))
    if not found.each:
        abort(404)
    return _ask(meeting, found, key, page_id)


@bp.get("/<int:number>/check")
@case_route("meeting.record")
def check(case_id: int, number: int):
    meeting = _open_meeting_or_404(number)
    return _render_check(meeting, problems=[])


def _render_check(meeting, problems, status=200):
    ctx = services.context_for(meeting)
    links = [{"text": p.message, "href": _problem_url(meeting, p, ctx.plan)} for p in problems]
    from coregroup.plans.voice import family_voice

    return render_template(
        "meetings/check.html",
        meeting=meeting,
        voices=family_voice(g.case, ctx.plan),
        minutes=presenters.minutes(ctx),
        summary_errors=links,
        warnings=services.warnings(meeting),
        kind=ctx.kind,
        form=Form(),
    ), status


def _problem_url(meeting, problem, plan: dict) -> str:
    if problem.plan_pointer is not None:
        from coregroup.plans import navigation

        return navigation.edit_url(meeting.case_id, plan, problem.plan_pointer, g.member.ref)
    section = services.meeting_flow().section(problem.section_id)
    return _page_url(
        meeting, section, problem.key, section.page(problem.page_id), **{"return": "check"}
    )


@bp.post("/<int:number>/complete")
@case_route("meeting.record")
def complete(case_id: int, number: int):
    meeting = _open_meeting_or_404(number)
    form = Form()
    if not form.validate():
        abort(400)
    problems = services.complete(meeting, current_user, today())
    if problems:
        return _render_check(meeting, problems, status=400)
    # Everyone is invited to the next meeting it set (its time is always set by now).
    _send_invitations(schedule.arranged(g.case))
    flash(_("The meeting is complete. Now send the plan and minutes to every member."), "success")
    return redirect(url_for("meetings.circulate", case_id=case_id, number=number))


@bp.get("/<int:number>/minutes")
@case_route("meeting.view")
def minutes(case_id: int, number: int):
    meeting = _meeting_or_404(number)
    ctx = services.context_for(meeting, g.member)
    mine = next((c for c in meeting.circulations if c.member_id == g.member.id), None)
    changes = presenters.plan_changes(meeting, g.case) if g.can("plan.history") else None
    from coregroup.plans.voice import family_voice

    voices = None  # family members read their own views on their plan page, not each other's
    if not g.member.is_family:
        voices = family_voice(g.case, ctx.plan, meeting.plan_number)
    return render_template(
        "meetings/minutes.html",
        meeting=meeting,
        voices=voices,
        minutes=presenters.minutes(ctx),
        circulation=mine,
        changes=changes,
        next_meeting=schedule.arranged(g.case) if meeting.is_completed else None,
        form=Form(),
    )


class ArrangeForm(Form):
    """The next meeting's date, time and place, set or moved; `sequence` is the version of the
    meeting the page showed, so a change someone else made meanwhile is shown, never lost."""

    date = DateInputField(
        _l("Date of the next meeting"),
        description=_l("For example, 27 3 2027"),
        validators=[InputRequired(message=_l("Enter the date of the next meeting"))],
    )
    time = StringField(
        _l("Time of the next meeting"),
        description=_l("Use the 24-hour clock, for example 14:30"),
        validators=[
            InputRequired(message=_l("Enter the time of the next meeting")),
            Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", message=_l("Enter a time like 14:30")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    location = StringField(
        _l("Where will the next meeting be?"),
        validators=[
            InputRequired(message=_l("Enter where the next meeting will be")),
            Length(max=200),
        ],
    )
    reason = TextAreaField(
        _l("Why is it changing?"),
        description=_l(
            "Everyone invited is told. You must say why if the meeting is later than the "
            "procedures allow."
        ),
        validators=[Length(max=1000)],
    )
    sequence = HiddenField()
    shown = HiddenField()  # the date, time and place the page showed

    def validate_date(self, field):
        day = field.data
        if not day:
            return
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        if day < today():
            raise ValidationError(_("The next meeting must be today or in the future"))
        if day > today() + dt.timedelta(days=366):
            raise ValidationError(_("Enter a date within the next year"))


class CancelForm(Form):
    reason = TextAreaField(
        _l("Why is the meeting cancelled?"),
        description=_l("Everyone invited is told."),
        validators=[
            DataRequired(message=_l("Enter why the meeting is cancelled")),
            Length(max=1000),
        ],
    )
    sequence = HiddenField()


def _arranged_or_404():
    from coregroup.meetings import schedule

    found = schedule.arranged(g.case)
    if found is None:
        abort(404)
    return found


def _shown_as(found) -> str:
    from coregroup.i18n import format_date

    parts = [format_date(found.date, "EEEE d MMMM yyyy"), found.time, found.location]
    if found.cancelled:
        parts.append(_("cancelled"))
    return ", ".join(p for p in parts if p)


def _send_invitations(found, tell_reason: bool = True) -> None:
    from coregroup.meetings import schedule

    sent, failed = schedule.send_due(found, today(), tell_reason=tell_reason)
    if failed:
        flash(
            ngettext(
                "%(num)s e-mail about the meeting could not be sent now. It will be sent later.",
                "%(num)s e-mails about the meeting could not be sent now. They will be sent later.",
                failed,
            ),
            "warning",
        )


@bp.route("/next", methods=["GET", "POST"])
@case_route("meeting.record")
def arrange(case_id: int):
    """Set the next meeting's time and place, or move it: everyone is sent the invitation, or
    the update."""
    from coregroup.cases.views import specs
    from coregroup.meetings import schedule

    found = _arranged_or_404()
    form = ArrangeForm()
    now = {"date": found.date.isoformat(), "time": found.time, "location": found.location}
    if request.method == "GET":
        form.date.process(None, data=now["date"])
        form.time.data, form.location.data = found.time, found.location
        form.sequence.data, form.shown.data = str(found.sequence), json.dumps(now)
    if form.validate_on_submit():
        if form.sequence.data != str(found.sequence):
            form.date.errors.append(
                _(
                    "Someone else changed this meeting since you opened the page. It is now: "
                    "%(now)s. Check it, then save again.",
                    now=_shown_as(found),
                )
            )
            # What this person left alone shows what is saved now; what they typed is kept.
            try:
                shown = json.loads(form.shown.data or "{}")
            except ValueError:
                shown = {}
            for name, value in now.items():
                if name in shown and (form[name].data or None) == shown[name]:
                    if name == "date":
                        form.date.process(None, data=value)
                    else:
                        form[name].data = value
            form.sequence.data, form.shown.data = str(found.sequence), json.dumps(now)
        else:
            day = dt.date.fromisoformat(form.date.data)
            due = services.timeline(g.case, services.meetings(g.case)).next_core_group_due
            reason = (form.reason.data or "").strip() or None
            here = dt.datetime.now(found.timezone)
            # A late date already explained, kept as it is, needs no new reason; the reason
            # given then stays on record (and is not sent again).
            explained = found.reason if found.changed is not None and day == found.date else None
            if day == here.date() and form.time.data <= here.strftime("%H:%M"):
                form.time.errors.append(
                    _("That time has passed. Enter a later time, or another day")
                )
            elif due and day > due and not reason and not explained:
                form.reason.errors.append(
                    _(
                        "The procedures say the core group meets by %(due)s. Say why the "
                        "meeting is later.",
                        due=services.format_day(due),
                    )
                )
            else:
                moved = schedule.change(
                    found,
                    current_user,
                    day,
                    form.time.data,
                    form.location.data.strip(),
                    reason or explained,
                )
                audit.record(
                    "meeting-arranged", f"next meeting {moved.uid}", current_user.id, case_id
                )
                _send_invitations(moved, tell_reason=reason is not None)
                flash(_("The next meeting is saved. Everyone is sent the invitation."), "success")
                return redirect(url_for("meetings.index", case_id=case_id))
    return render_template(
        "meetings/arrange.html",
        form=form,
        arranged=found,
        specs=specs(form, "date", "time", "location", "reason"),
    ), (400 if form.errors else 200)


@bp.route("/next/cancel", methods=["GET", "POST"])
@case_route("meeting.record")
def cancel_next(case_id: int):
    """Cancel the next meeting: everyone invited is sent the cancellation."""
    from coregroup.cases.views import specs
    from coregroup.meetings import schedule

    found = _arranged_or_404()
    if found.cancelled:
        return redirect(url_for("meetings.index", case_id=case_id))
    form = CancelForm()
    if request.method == "GET":
        form.sequence.data = str(found.sequence)
    if form.validate_on_submit():
        if form.sequence.data != str(found.sequence):
            form.reason.errors.append(
                _(
                    "Someone else changed this meeting since you opened the page. It is now: "
                    "%(now)s. Check it, then save again.",
                    now=_shown_as(found),
                )
            )
            form.sequence.data = str(found.sequence)
        else:
            cancelled = schedule.cancel(found, current_user, form.reason.data.strip())
            audit.record(
                "meeting-cancelled", f"next meeting {cancelled.uid}", current_user.id, case_id
            )
            _send_invitations(cancelled)
            flash(_("The meeting is cancelled. Everyone invited is told."), "success")
            return redirect(url_for("meetings.index", case_id=case_id))
    return render_template(
        "meetings/cancel.html", form=form, arranged=found, specs=specs(form, "reason")
    ), (400 if form.errors else 200)


@bp.get("/next.ics")
@case_route("meeting.view")
def calendar(case_id: int):
    """Your own invitation to the next meeting, to add to your calendar."""
    from coregroup.meetings import schedule

    found = schedule.arranged(g.case)
    if found is None or found.cancelled or not found.invitable:
        abort(404)
    body = schedule.ics(found, g.member, "REQUEST", current_user.email)
    return (
        body,
        200,
        {
            "Content-Type": "text/calendar; charset=utf-8; method=REQUEST",
            "Content-Disposition": f'attachment; filename="core-group-meeting-{found.date}.ics"',
        },
    )


@bp.route("/<int:number>/circulate", methods=["GET", "POST"])
@case_route("meeting.circulate", when_closed=True)
def circulate(case_id: int, number: int):
    meeting = _meeting_or_404(number)
    if not meeting.is_completed:
        abort(404)
    form = Form()
    if request.method == "POST" and form.validate():
        if request.form.get("method") == "by-hand":
            member_id = request.form.get("member", type=small_int)
            member = next((m for m in g.case.members if m.id == member_id), None)
            if member is None:
                abort(400)
            circulation.by_hand(meeting, member.id, current_user)
            flash(_("Recorded that %(name)s was given them by hand.", name=member.name), "success")
        else:
            sent, failed = circulation.send_all(meeting, current_user)
            if sent:
                flash(
                    ngettext("Sent to %(num)s member.", "Sent to %(num)s members.", sent),
                    "success",
                )
            if failed:
                flash(
                    ngettext(
                        "%(num)s could not be sent by email. Give them the plan and minutes "
                        "another way, and record it.",
                        "%(num)s could not be sent by email. Give them the plan and minutes "
                        "another way, and record it.",
                        failed,
                    ),
                    "error",
                )
        return redirect(url_for("meetings.circulate", case_id=case_id, number=number))
    case_meetings = services.meetings(g.case)
    due = services.timeline(g.case, case_meetings).circulation_due.get(meeting.number)
    return render_template(
        "meetings/circulate.html",
        meeting=meeting,
        rows=circulation.status_rows(meeting),
        due=due,
        form=form,
        viewer=contacts.Viewer.of(g.member),
    )


@bp.post("/<int:number>/receipt")
@case_route("meeting.confirm-receipt", when_closed=True)
def receipt(case_id: int, number: int):
    meeting = _meeting_or_404(number)
    form = circulation.ReceiptForm()
    if not form.validate():
        ctx = services.context_for(meeting, g.member)
        mine = next((c for c in meeting.circulations if c.member_id == g.member.id), None)
        return render_template(
            "meetings/minutes.html",
            meeting=meeting,
            minutes=presenters.minutes(ctx),
            circulation=mine,
            changes=None,
            receipt_form=form,
            form=form,
        ), 400
    agrees = {"yes": True, "no": False}.get(form.agrees.data)
    circulation.confirm(meeting, g.member, agrees, form.disagreement.data)
    flash(_("Thank you. We have recorded that you received the plan and minutes."), "success")
    return redirect(url_for("meetings.minutes", case_id=case_id, number=number))
