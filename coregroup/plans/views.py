"""The plan pages: task list, one question page at a time, lists, check answers, versions."""

from __future__ import annotations

import copy
import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from coregroup import formgen, pages, textpolicy
from coregroup.access import case_route
from coregroup.cases.people import member_context
from coregroup.document import find_item
from coregroup.i18n import format_datetime, format_number, ngettext
from coregroup.i18n import gettext as _
from coregroup.models import utcnow
from coregroup.params import small_int
from coregroup.plans import drafts, editing, live, navigation, services, translations
from coregroup.plans.diff import changes
from coregroup.plans.presenters import (
    PlanReader,
    describe_changes,
    describe_conflicts,
    item_title,
    set_aside_rows,
)
from coregroup.problems import problem
from coregroup.schema import message_for
from coregroup.webforms import Form

bp = Blueprint("plans", __name__, url_prefix="/cases/<int:case_id>/plan")


def _members() -> dict[str, str]:
    """Names for the ids a plan holds: the core group's members, and the case's children."""
    names = {m.ref: f"{m.name} ({m.role_label})" for m in g.case.members}
    return names | {c.ref: c.name for c in g.case.children}


def _context(item=None) -> formgen.Context:
    return member_context(g.case, g.member, item)


def _flow():
    return services.flow_for(g.member.audience)


def _reader(document):
    return PlanReader(
        services.plan_schema(), _flow(), document, _members(), g.case.id, g.member.ref
    )


def _section_or_404(section_id: str):
    try:
        return _flow().section(section_id)
    except KeyError:
        abort(404)


@bp.get("")
@case_route("plan.contribute")
def task_list(case_id: int):
    document, draft = services.working_document(g.case, current_user)
    latest = services.latest_version(g.case)
    live.touch(g.case, current_user, None)
    sections = _reader(document).sections(services.plan_errors(document))
    voices, gaps = None, []
    if not g.member.is_family:
        from coregroup.plans.voice import family_voice
        from coregroup.rules import procedure

        shown = latest.document if latest else document
        voices = family_voice(g.case, shown, latest.number if latest else None)
        gaps = [
            {
                "text": gap.message,
                "href": navigation.edit_url(case_id, document, gap.pointer, g.member.ref),
            }
            for gap in procedure.plan_gaps(document, services.roles_needed(g.case))
        ]
    return render_template(
        "plans/task_list.html",
        voices=voices,
        gaps=gaps,
        live_state=live.state(g.case, current_user, _flow()),
        flow=_flow(),
        sections=sections,
        draft=draft,
        latest=latest,
        form=Form(),
    )


@bp.get("/<section_id>")
@case_route("plan.contribute")
def section(case_id: int, section_id: str):
    section = _section_or_404(section_id)
    if section.list:
        return location(case_id=case_id, section_id=section_id, location="")
    target = navigation.Target("page", section, page=section.pages[0])
    return redirect(navigation.page_url(case_id, target, section.pages[0]))


@bp.route("/<section_id>/<path:location>", methods=["GET", "POST"])
@case_route("plan.contribute", own_rows=True)
def location(case_id: int, section_id: str, location: str):
    target = navigation.parse(_section_or_404(section_id), location)
    if target is None:
        abort(404)
    document, _draft = services.working_document(g.case, current_user)
    if target.scope and find_item(document, target.scope) is None:
        # Answers sent for an item removed since the page was shown: read against the page's
        # own version, and the item put back in this person's draft as a clash (drafts.py).
        document = _shown_document(target) if target.kind == "page" else None
        if document is None or request.method != "POST":
            abort(404)
    handler = {"page": _page, "list": _list, "add": _add, "remove": _remove, "item": _item}
    return handler[target.kind](target, document)


def _shown_document(target: navigation.Target) -> dict | None:
    """The plan version a page's form says it was shown from, if it has the page's item."""
    state = pages.PageState.decode(request.form.get("page_state"))
    if state is None or state.version is None:
        return None
    shown = drafts.version_document(g.case.id, state.version)
    return shown if shown and find_item(shown, target.scope) is not None else None


def _page(target: navigation.Target, document: dict):
    node = find_item(document, target.scope)

    def check(answers):
        problems = services.page_schema_errors(document, target.scope, answers)
        return {
            path: message_for(field_schema, error)
            for path, (field_schema, error) in problems.items()
        }

    latest = services.latest_version(g.case)
    asked = pages.ask(
        services.plan_schema(),
        target.schema_path,
        target.page,
        _context(item=node),
        node,
        check,
        version=latest.number if latest else 0,
    )
    clashes, unchosen = [], set()
    if asked.answers is not None:
        state = pages.PageState.decode(asked.form.page_state.data)
        keep, unchosen = pages.keep_choices(state, asked.specs)
        if not unchosen:
            recorded = drafts.answer_page(
                g.case, current_user, target.scope, asked.answers, state, keep
            )
            clashes = recorded.clashes
            if recorded.set_aside:
                flash(
                    _(
                        "You had given another answer here, in another window. It is kept "
                        "with your answers set aside, on “Check your answers”."
                    )
                )
            if not clashes:
                if request.args.get("return") == "check":
                    return redirect(url_for("plans.check", case_id=g.case.id))
                return redirect(navigation.after_page(g.case.id, target))
            latest = services.latest_version(g.case)
            asked.form.page_state.data = _clash_state(asked, clashes, target, latest)
        else:
            draft = services.get_draft(g.case, current_user)
            keys = [drafts.item_key(target.scope, path) for path in state.clashing]
            clashes = drafts.clashes(draft, latest, keys)
    live.touch(g.case, current_user, target.section.id)
    status = 409 if clashes else asked.status
    return render_template(
        "question_page.html",
        live_state=live.state(g.case, current_user, _flow()),
        live_section=target.section.id,
        form=asked.form,
        specs=asked.specs,
        page=target.page,
        caption=_caption(target, document),
        back_url=navigation.before_page(g.case.id, target),
        clashes=_clash_rows(target, asked.specs, clashes, unchosen),
    ), status


def _clash_state(asked, clashes, target, latest) -> str:
    """The page's state once it shows these clashes: given against the latest version, their
    answers as the ones shown where the two clash."""
    from coregroup.plans.drafts import digest

    clashing = {c.key: c for c in clashes}
    shown = {}
    for spec in asked.specs:
        key = drafts.item_key(target.scope, spec.path)
        value = clashing[key].theirs if key in clashing else asked.answers.get(spec.path)
        shown[spec.path] = digest(value)
    paths = tuple(s.path for s in asked.specs if drafts.item_key(target.scope, s.path) in clashing)
    return pages.PageState(latest.number if latest else 0, shown, paths).encode()


def _clash_rows(target, specs, clashes, unchosen) -> list[dict]:
    """Each clash as the page shows it: the question, who saved the other answer and when,
    and both answers in words."""
    from coregroup.plans.presenters import display

    by_key = {drafts.item_key(target.scope, spec.path): spec for spec in specs}
    latest = services.latest_version(g.case)
    removed = bool(target.scope) and not drafts.has_items(
        latest.document if latest else {}, target.scope
    )
    rows = []
    for clash in clashes:
        spec = by_key.get(clash.key)
        if spec is None:
            continue
        # Who removed the item, when it is gone; else who saved the other answer.
        saved = drafts.who_changed(
            g.case, drafts.item_key(target.scope[:1]) if removed else clash.key
        )
        author = next((m for m in g.case.members if m.ref == (saved and saved.author_ref)), None)
        rows.append(
            {
                "name": spec.name,
                "label": spec.label,
                "by": f"{author.name} ({author.role_label})" if author else _("someone else"),
                "at": saved.created_at if saved else None,
                "version": saved.number if saved else None,
                "removed": removed,
                "theirs": _("(removed)")
                if removed
                else display(spec.schema, clash.theirs, _members()) or _("(no answer)"),
                "yours": display(spec.schema, clash.yours, _members()) or _("(no answer)"),
                "error": _("Choose which answer to keep") if spec.path in unchosen else None,
            }
        )
    return rows


def _caption(target: navigation.Target, document: dict) -> str:
    words = [_(target.section.title)]
    node = document
    for spec, (list_path, item_id) in zip(target.chain, target.scope, strict=True):
        items = node.get(list_path, [])
        number = next(n for n, i in enumerate(items, start=1) if i.get("id") == item_id)
        list_schema = services.plan_schema().at(list(spec.schema_path[:-1]))
        words.append(item_title(list_schema, number))
        node = items[number - 1]
    return " › ".join(words)


def _list(target: navigation.Target, document: dict):
    node = find_item(document, target.scope)
    reader = _reader(document)
    summary = reader.list_summary(
        target.section, target.scope, target.chain, target.list_spec, node, {}
    )
    return render_template(
        "plans/list.html",
        target=target,
        summary=summary,
        caption=_caption(target, document),
        add_url=navigation.url(
            g.case.id,
            target.section,
            target.scope,
            (target.list_spec.path + "/add" if target.scope else "add"),
        ),
        continue_url=navigation.after_list(g.case.id, target),
        form=Form(),
    )


def _add(target: navigation.Target, document: dict):
    if request.method != "POST":
        abort(405)
    form = Form()
    if not form.validate():
        abort(400)
    item_id = services.add_item(g.case, current_user, target.scope, target.list_spec.path)
    scope = target.scope + ((target.list_spec.path, item_id),)
    first = navigation.Target(
        "page",
        target.section,
        scope,
        target.chain + (target.list_spec,),
        page=target.list_spec.pages[0],
    )
    return redirect(navigation.page_url(g.case.id, first, first.page))


def _item(target: navigation.Target, document: dict):
    return redirect(navigation.page_url(g.case.id, target, target.pages[0]))


def _remove(target: navigation.Target, document: dict):
    form = Form()
    spec = target.chain[-1]
    back = navigation.list_url(g.case.id, target, target.scope[:-1], spec)
    # The item as this page showed it: removing it after someone changed it is their change
    # lost, so the page says so and asks again.
    shown = drafts.digest(find_item(document, target.scope))
    changed = False
    if request.method == "POST" and form.validate():
        changed = request.form.get("shown", shown) != shown
        if not changed:
            services.remove_item(g.case, current_user, target.scope)
            flash(_("Removed."), "success")
            return redirect(back)
    owner = find_item(document, target.scope[:-1])
    number = next(
        n for n, i in enumerate(owner[spec.path], start=1) if i["id"] == target.scope[-1][1]
    )
    title = item_title(services.plan_schema().at(list(spec.schema_path[:-1])), number)
    item_url = navigation.url(g.case.id, target.section, target.scope, "")
    return render_template(
        "plans/remove.html",
        form=form,
        title=title,
        back_url=back,
        shown=shown,
        changed=changed,
        item_url=item_url,
    ), (409 if changed else 200)


@bp.get("/check")
@case_route("plan.contribute")
def check(case_id: int):
    document, draft = services.working_document(g.case, current_user)
    return _render_check(document, draft, errors=[], conflicts=services.pending_conflicts(draft))


def _render_check(document, draft, errors, conflicts=(), status=200):
    reader = _reader(document)
    flow = _flow()
    located = []
    for error in errors:
        where = services.locate(flow, document, error.pointer, g.member.ref)
        if where is None and error.message:  # a procedure rule's, about a list or an item
            link = navigation.edit_url(g.case.id, document, error.pointer, g.member.ref)
            located.append((0, error.pointer, {"text": error.message, "href": link}))
            continue
        if where is None:
            # Not a question this person's flow asks: still said, never silently dropped.
            text = _("%(where)s: %(problem)s", where=error.pointer, problem=message_for({}, error))
            located.append((len(flow.sections), error.pointer, {"text": text}))
            continue
        target = navigation.Target(
            "page", where.section, where.scope, where.list_chain, page=where.page
        )
        field_schema = services.plan_schema().at(
            list(target.schema_path) + where.field_path.split("/")
        )
        link = navigation.page_url(g.case.id, target, where.page, **{"return": "check"})
        anchor = where.field_path.replace("/", "__")
        text = _(
            "%(where)s: %(problem)s",
            where=_caption(target, document),
            problem=message_for(field_schema, error),
        )
        order = flow.sections.index(where.section)
        located.append((order, error.pointer, {"text": text, "href": f"{link}#{anchor}"}))
    summary_errors = [item for *_key, item in sorted(located, key=lambda x: x[:2])]
    return render_template(
        "plans/check.html",
        sections=reader.sections(errors, {"return": "check"}),
        draft=draft,
        summary_errors=summary_errors,
        conflicts=_saved_by(
            describe_conflicts(
                services.plan_schema(),
                conflicts,
                services.latest_theirs(g.case),
                draft.document if draft else document,
                _members(),
            ),
            conflicts,
        ),
        set_aside=set_aside_rows(
            services.plan_schema(), services.set_aside(g.case, current_user), _members()
        ),
        form=Form(),
    ), status


def _saved_by(rows, conflicts):
    """Each clash's row, naming who saved the other answer and when."""
    for row, conflict in zip(rows, conflicts, strict=True):
        saved = drafts.who_changed(g.case, conflict.key)
        author = next((m for m in g.case.members if saved and m.ref == saved.author_ref), None)
        if saved and author:
            row.saved_by = _(
                "%(name)s, %(when)s (version %(number)s)",
                name=f"{author.name} ({author.role_label})",
                when=format_datetime(saved.created_at.replace(tzinfo=dt.UTC), "medium"),
                number=saved.number,
            )
    return rows


@bp.post("/save")
@case_route("plan.contribute")
def save(case_id: int):
    form = Form()
    if not form.validate():
        abort(400)
    result = services.save_plan(g.case, current_user)
    if result.version:
        flash(_("Plan saved as version %(number)s.", number=result.version.number), "success")
        return redirect(url_for("plans.task_list", case_id=case_id))
    if result.unchanged:
        flash(_("Nothing had changed, so no new version was needed."), "success")
        return redirect(url_for("plans.task_list", case_id=case_id))
    if result.document is None:
        return redirect(url_for("plans.task_list", case_id=case_id))
    draft = services.get_draft(g.case, current_user)
    return _render_check(result.document, draft, result.errors, result.conflicts, status=400)


@bp.post("/resolve")
@case_route("plan.contribute", own_rows=True)
def resolve(case_id: int):
    form = Form()
    keep = request.form.get("keep")
    if not form.validate() or keep not in ("mine", "theirs"):
        abort(400)
    services.resolve_conflicts(g.case, current_user, keep)
    flash(_("Your draft now includes the latest saved plan. Check it, then save."), "success")
    return redirect(url_for("plans.check", case_id=case_id))


@bp.post("/discard")
@case_route("plan.contribute", own_rows=True)
def discard(case_id: int):
    form = Form()
    if not form.validate():
        abort(400)
    services.discard_draft(g.case, current_user)
    flash(_("Your unsaved changes were discarded."), "success")
    return redirect(url_for("plans.task_list", case_id=case_id))


@bp.get("/live")
@case_route("plan.contribute", audited=False)
def live_state(case_id: int):
    """Polled every few seconds by open plan pages; 304 when nothing changed."""
    section = request.args.get("section") or None
    if section is not None and section not in {s.id for s in _flow().sections}:
        section = None
    live.touch(g.case, current_user, section)
    body = live.state(g.case, current_user, _flow())
    response = jsonify(body)
    response.set_etag(live.tag(body))
    response.headers["Cache-Control"] = "no-cache, private"
    return response.make_conditional(request)


@bp.post("/versions/<int:number>/restore")
@case_route("plan.edit")
def restore(case_id: int, number: int):
    """Make an earlier version the latest again: a new version, never a rewrite."""
    form = Form()
    found = services.get_version(g.case, number)
    if found is None or not form.validate():
        abort(404)
    latest = services.latest_version(g.case)
    document = copy.deepcopy(found.document)
    # The family's own views are theirs: restoring the plan never takes back what they said.
    views = (latest.document if latest else {}).get("familyViews")
    document.pop("familyViews", None)
    if views:
        document["familyViews"] = copy.deepcopy(views)
    removed = services.removal_errors(g.case, latest.document if latest else None, document)
    if removed:
        flash(
            _(
                "Version %(number)s cannot be restored: it does not hold what the core group's "
                "plan must keep.",
                number=number,
            )
            + " "
            + " ".join(message_for({}, e) for e in removed),
            "error",
        )
        return redirect(url_for("plans.versions", case_id=case_id))
    version = services.write_version(
        g.case, current_user, document, note=f"Restored from version {number}"
    )
    flash(
        _("Version %(old)s restored as version %(new)s.", old=number, new=version.number), "success"
    )
    return redirect(url_for("plans.versions", case_id=case_id))


def _voices(latest) -> list:
    from coregroup.plans.voice import family_voice

    version = services.get_version(g.case, latest.number)
    return family_voice(g.case, version.document, latest.number)


@bp.get("/read")
@case_route("case.view")
def read(case_id: int):
    """The latest plan to read, as this person may see it (the family's view: no
    professional-only fields, and only their own views)."""
    return _render_read()


def _render_read(views_error: str | None = None, typed: str | None = None, status: int = 200):
    latest = services.latest_version(g.case, document=False)
    summary = own_views = None
    if latest is not None:
        language = g.member.language or str(get_locale())
        dates = _schedule_now()
        summary, own_views = _read_summary(latest, language, dates)
    response = make_response(
        render_template(
            "plans/read.html",
            latest=latest,
            summary=summary,
            own_views=own_views,
            voices=_voices(latest) if latest and not g.member.is_family else [],
            views_error=views_error,
            typed=typed,
            # Shown when the phone is offline ("the plan as it was on …"), to the minute.
            rendered_at=utcnow().replace(second=0, microsecond=0),
        ),
        status,
    )
    if g.member.is_family and status == 200:
        # The family's view may be kept on the family member's phone, only if they choose
        # (static/app/offline.js, the service worker's Cache API). Like every page it stays
        # no-store, so the browser's own cache never keeps it behind their back.
        response.headers["X-Offline-Copy"] = "family-plan"
        response.headers["X-Offline-User"] = str(current_user.id)
    return response


@bp.post("/views")
@case_route("plan.contribute")
def send_views(case_id: int):
    """A family member's views, sent from the plan page (typed there, perhaps offline, and sent
    later with the version they were based on); merged by the co-editing rules."""
    if not g.member.is_family:
        abort(404)
    as_json = request.is_json
    data = request.get_json(silent=True) if as_json else request.form
    if not isinstance(data, dict | MultiDict):
        return problem(400, "invalid_json", _("Send a JSON object."))
    text, base = data.get("views"), data.get("base", 0)
    problems = []  # (pointer, words): every one, not only the first
    limit = services.plan_schema().at(("familyViews", "*", "views")).get("maxLength", 4000)
    if not isinstance(text, str) or not text.strip():
        problems.append(("/views", _("Write your views before you send them.")))
    elif reason := textpolicy.problem(text):
        problems.append(("/views", textpolicy.message(reason)))
    elif len(text) > limit:
        words = _("Your views must be %(limit)s characters or fewer.", limit=format_number(limit))
        problems.append(("/views", words))
    try:
        if isinstance(base, bool) or (as_json and not isinstance(base, int)):
            raise ValueError(base)
        base = small_int(base)
        if base and services.get_version(g.case, base) is None:
            raise ValueError(base)  # a version this plan never had
    except (TypeError, ValueError):
        problems.append(("/base", _("The version number is not right.")))
    if problems:
        if as_json:
            errors = [{"pointer": p, "code": "invalid", "detail": w} for p, w in problems]
            return problem(422, "invalid", errors=errors)
        return _render_read(
            views_error=problems[0][1], typed=text if isinstance(text, str) else "", status=400
        )
    text = textpolicy.nfc(text.strip())
    result = services.save_views(g.case, current_user, g.member.ref, text, base)
    check_url = url_for("plans.check", case_id=case_id)
    if result.conflicts:
        if as_json:
            detail = _(
                "Your views were changed somewhere else. Your words are kept: check, then save."
            )
            return problem(409, "conflict", detail, "/views", saved=False, check=check_url)
        flash(_("Your views were changed somewhere else. Your words are kept: check, then save."))
        return redirect(check_url)
    if result.errors:
        if as_json:
            errors = [_error_json(e) for e in result.errors]
            return problem(422, "invalid", errors=errors)
        return _render_read(
            views_error=_error_json(result.errors[0])["detail"], typed=text, status=400
        )
    number = result.version.number if result.version else services.latest_version(g.case).number
    if as_json:
        return jsonify(saved=True, version=number), 201 if result.version else 200
    flash(_("Thank you. Your views are saved in the plan."), "success")
    return redirect(url_for("plans.read", case_id=case_id))


def _error_json(error) -> dict:
    schema = services.plan_schema()
    try:
        field_schema = schema.at(tuple(p for p in error.pointer.split("/")[1:]))
    except KeyError:
        field_schema = {}
    return {
        "pointer": error.pointer,
        "code": error.code,
        "detail": message_for(field_schema, error),
    }


def _schedule_now() -> tuple[str | None, str | None]:
    """The next core group and the review conference as the case's record now sets them (the
    meetings and conferences held), not as the plan said when it was last saved."""
    from coregroup.meetings import services as meetings

    timeline = meetings.timeline(g.case, meetings.meetings(g.case))
    planned, review = timeline.next_core_group_planned, timeline.review_conference_due
    return (planned.isoformat() if planned else None, review.isoformat() if review else None)


def _read_summary(latest, language: str, dates=(None, None)) -> tuple[Markup, dict | None]:
    """The plan's sections as this reader may see them, rendered once per version and reader,
    and the reader's own views."""
    import copy

    from coregroup.plans.audience import for_member
    from coregroup.schema import professional_only_paths

    schema = services.plan_schema()
    document = for_member(schema, latest.document, g.member)
    planned, review = dates
    if planned or review:
        document = copy.deepcopy(document)
        schedule = document.setdefault("schedule", {})
        if planned:
            schedule["nextCoreGroup"] = planned
        if review:
            schedule["reviewConference"] = review
    hidden = professional_only_paths(schema) if g.member.is_family else set()
    flow = services.flow_for("professional")
    reader = PlanReader(schema, flow, document, _members(), g.case.id, g.member.ref, links=False)
    sections = [
        s
        for s in reader.sections([])
        if not (s.section.pages and all(f in hidden for p in s.section.pages for f in p.fields))
    ]
    render = get_template_attribute("plans/_summary.html", "sections_summary")
    summary = render(
        sections,
        editable=False,
        translated=translations.for_reader(document, language),
        lang=language,
    )
    return Markup(summary), document.get("familyViews", {}).get(g.member.ref)


@bp.route("/translate/<language>", methods=["GET", "POST"])
@case_route("plan.edit")
def translate(case_id: int, language: str):
    """A professional adds the plan's own words in a family member's language."""
    from coregroup.i18n import WANTED

    latest = services.latest_version(g.case)
    if latest is None or language not in WANTED or language == "en_GB":
        abort(404)
    form = Form()
    # The originals as the page showed them: translations are recorded against those, and
    # merged with whatever was saved since (a clash is kept in the translator's draft).
    shown = _version_shown(latest, request.form.get("base") if request.method == "POST" else None)
    found = translations.entries(services.plan_schema(), shown.document, language)
    if request.method == "POST" and form.validate():
        texts = {e.pointer: request.form.get(f"t{n}", "") for n, e in enumerate(found)}
        method = request.form.get("method")
        problem = next(
            (
                (n, textpolicy.message(reason))
                for n, e in enumerate(found)
                if (reason := textpolicy.problem(texts[e.pointer]))
            ),
            None,
        )
        if problem is None and method not in translations.METHODS:
            problem = ("method", _("Say how these translations were made"))
        if problem is None:
            texts = {where: textpolicy.nfc(text) for where, text in texts.items()}
            made = {"by": current_user.name, "on": dt.date.today().isoformat(), "method": method}
            yours = translations.apply(copy.deepcopy(shown.document), language, texts, made)
            outcome = editing.edit(g.case, current_user, shown.number, yours)
            if outcome.version is not None:
                gone = outcome.set_aside
                if gone:
                    flash(
                        ngettext(
                            "%(count)s translation was of words removed from the plan "
                            "meanwhile. It is kept with your answers set aside.",
                            "%(count)s translations were of words removed from the plan "
                            "meanwhile. They are kept with your answers set aside.",
                            gone,
                            count=gone,
                        )
                    )
                flash(
                    _(
                        "Translations saved in version %(number)s of the plan.",
                        number=outcome.version.number,
                    ),
                    "success",
                )
                return redirect(url_for("plans.read", case_id=case_id))
            if outcome.conflicts:
                flash(
                    _(
                        "Someone else changed the same translations meanwhile. Yours are kept: "
                        "check them, then save."
                    ),
                    "error",
                )
                return redirect(url_for("plans.check", case_id=case_id))
            problem = _translation_problem(found, language, outcome.errors)
        for n, entry in enumerate(found):  # shown again as typed, with the problem at its field
            entry.translation = request.form.get(f"t{n}", "")
        return _render_translate(found, language, form, shown.number, problem, method), 400
    return _render_translate(found, language, form, shown.number)


def _render_translate(found, language: str, form, base: int, problem=None, method=None) -> str:
    from coregroup.i18n import own_name

    return render_template(
        "plans/translate.html",
        entries=found,
        language=language,
        language_name=own_name(language),
        form=form,
        base=base,
        problem=problem,
        method=method,
        methods=[
            ("person", _("I translated them myself")),
            ("machine-checked", _("A computer translated them, and I checked each one")),
            ("machine", _("A computer translated them, and nobody has checked them yet")),
        ],
        summary_errors=[
            {"text": problem[1], "href": "#method" if problem[0] == "method" else f"#t{problem[0]}"}
        ]
        if problem
        else [],
    )


def _translation_problem(found, language: str, errors) -> tuple[int, str]:
    """The first error of a translation, as (which entry, what to say)."""
    from coregroup.plans.translations import pointer_parts

    for error in errors:
        parts = pointer_parts(error.pointer)
        if parts[:2] == ["translations", language] and len(parts) > 2:
            n = next((n for n, e in enumerate(found) if e.pointer == parts[2]), None)
            if n is not None:
                field = services.plan_schema().at(["translations", "*", "*", "text"])
                return n, message_for(field, error)
    return 0, _("The translations could not be saved. Check them and try again.")


def _version_shown(latest, raw=None):
    """The version a form was shown from (`base`), or the latest if it names none of ours."""
    try:
        number = small_int(raw) if raw else None
    except ValueError:
        number = None
    return (services.get_version(g.case, number) if number else None) or latest


@bp.get("/versions")
@case_route("plan.history")
def versions(case_id: int):
    return render_template(
        "plans/versions.html",
        versions=services.versions(g.case),
        set_aside=set_aside_rows(services.plan_schema(), services.set_aside(g.case), _members()),
    )


@bp.get("/versions/<int:number>")
@case_route("plan.history")
def version(case_id: int, number: int):
    found = services.get_version(g.case, number) or abort(404)
    reader = _reader(found.document)
    return render_template("plans/version.html", version=found, sections=reader.sections([]))


@bp.get("/compare")
@case_route("plan.history")
def compare(case_id: int):
    older = services.get_version(g.case, request.args.get("from", type=small_int) or 0)
    newer = services.get_version(g.case, request.args.get("to", type=small_int) or 0)
    if older is None or newer is None:
        abort(404)
    found = changes(older.document, newer.document)
    rows = describe_changes(
        services.plan_schema(), found, older.document, newer.document, _members()
    )
    return render_template("plans/compare.html", older=older, newer=newer, rows=rows)
