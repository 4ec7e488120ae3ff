"""National scale: every foreign key indexed, no page query that scans a table growing with the
database (EXPLAIN on PostgreSQL), and a dashboard read from kept rows, a page at a time, with
the same queries for 1 case or 20 and the same findings as each case's own records."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, func, select, text

from coregroup import dashboard
from coregroup.extensions import db as _db
from coregroup.models import DueItem
from coregroup.plans import services
from tests.conftest import make_case, make_member, make_user, page, sign_in
from tests.factories import large_plan
from tests.test_query_counts import counting


def test_every_foreign_key_leads_an_index(app):
    """A foreign key without an index makes every lookup by it (a person's memberships, a
    case's children) and every delete of its parent scan the whole table."""
    missing = []
    for table in _db.metadata.sorted_tables:
        leading = {next(iter(index.columns)).name for index in table.indexes}
        leading |= {
            next(iter(constraint.columns)).name
            for constraint in table.constraints
            if getattr(constraint, "columns", None)
            and constraint.__class__.__name__ != "ForeignKeyConstraint"
        }
        missing += [
            f"{table.name}.{fk.parent.name}"
            for fk in table.foreign_keys
            if fk.parent.name not in leading
        ]
    assert missing == []


def caseload(db, lead, count: int, today: dt.date, first: int = 0):
    """`count` cases where `lead` is the lead social worker, each with actions overdue, due and
    done, and a completed meeting whose plan and minutes reached nobody yet."""
    cases = []
    for n in range(first, first + count):
        case = make_case(
            reference=f"LOAD-{n:03d}",
            initial_conference=today - dt.timedelta(days=8 if n % 2 else 30 + n),
            jurisdiction="england" if n % 2 else "guernsey",
        )
        make_member(case, lead, ref=f"m-lead{n}")
        refs = [f"m-lead{n}"]
        refs.append(make_member(case, None, name="Teacher", role="teacher", ref=f"m-t{n}").ref)
        plan = large_plan(refs, services.plan_schema().version, 2, 4)
        dates = [-10 - n, n, 400, -5]  # overdue, soon or later, far off, done late
        actions = [a for need in plan["needs"] for a in need["actions"]]
        for action, days in zip(actions, dates, strict=True):
            action["byWhen"] = (today + dt.timedelta(days=days)).isoformat()
        actions[-1]["status"] = "done"
        services.write_version(case, lead, plan)
        cases.append(case)
    db.session.commit()
    return cases


def test_the_dashboard_says_what_each_cases_own_records_say(app, db):
    """The kept rows, classified in SQL, give the same items on any day as reading each case's
    plan and meetings afresh (coregroup.rules.attention)."""
    today = dt.date.today()
    lead = make_user(professional=True)
    cases = caseload(db, lead, 6, today)
    for day in (today, today + dt.timedelta(days=3), today + dt.timedelta(days=40)):
        with app.test_request_context():
            expected = sorted(
                (item.case.id, item.kind, item.text, item.when)
                for found in cases
                for item in dashboard.items_for(found, day)
            )
            board = dashboard.page(lead, day, 1)
            assert board.pages == 1
            got = sorted((item.case.id, item.kind, item.text, item.when) for item in board.items)
        assert expected and got == expected, day
        assert sum(board.counts.values()) == len(expected)


def test_the_dashboard_pages_and_counts_and_runs_the_same_queries_for_1_case_or_20(client, db):
    today = dt.date.today()
    lead = make_user(professional=True)
    caseload(db, lead, 1, today)
    sign_in(client, lead)
    client.get("/dashboard")
    with counting(db) as one:
        assert client.get("/dashboard").status_code == 200
    caseload(db, lead, 19, today, first=1)
    with counting(db) as twenty:
        html = page(client.get("/dashboard"))
    assert len(one) == len(twenty), (len(one), len(twenty))
    # Overdue first, a page at a time, with the counts of every kind across all 20 cases.
    rows = html.select("tbody tr")
    assert len(rows) == dashboard.PER_PAGE
    assert [r.select_one(".govuk-tag").get_text(strip=True) for r in rows][0] == "Overdue"
    counts = html.select_one(".app-due-counts").get_text(" ", strip=True)
    with client.application.test_request_context():
        board = dashboard.page(lead, today, 1)
    assert f"Overdue {board.counts['overdue']}" in counts
    assert board.counts["overdue"] >= 20  # an overdue action in each case, and more
    assert "20 cases" in html.get_text()
    assert html.select_one(".govuk-pagination")
    last = page(client.get(f"/dashboard?page={board.pages}"))
    assert last.select("tbody tr")
    assert page(client.get("/dashboard?page=999")).select("tbody tr")  # the last page
    assert board.counts["due"] > 0
    due = page(client.get("/dashboard?kind=due"))
    tags = {t.get_text(strip=True) for t in due.select("tbody .govuk-tag")}
    assert tags == {"Due soon"}
    for bad in ("?kind=everything", "?page=x", "?page=-1", "?page=0", "?page=00", "?page=-0"):
        assert client.get("/dashboard" + bad).status_code == 404, bad
    for bad in ("?page=１", "?page=1_0", "?page=+2", "?page=", "?page=1.0"):
        assert client.get("/dashboard" + bad).status_code == 404, bad
    # A page past the end, however far, is the last page.
    assert page(client.get("/dashboard?page=99999999999")).select("tbody tr")


def test_the_dashboard_records_a_view_of_only_the_cases_it_shows(client, db):
    from coregroup.models import AuditEvent

    today = dt.date.today()
    lead = make_user(professional=True)
    cases = caseload(db, lead, 12, today)
    sign_in(client, lead)
    client.get("/dashboard?kind=due")
    seen = set(
        db.session.scalars(
            select(AuditEvent.case_id).where(AuditEvent.target.like("GET /dashboard%"))
        )
    )
    with client.application.test_request_context():
        shown = {i.case.id for i in dashboard.page(lead, today, 1, "due").items}
    assert seen == shown and shown < {c.id for c in cases}


def test_due_items_follow_every_write_in_the_same_commit(client, planned, db):
    """Marking an overdue action done through the plan's own page takes it off the dashboard;
    a new meeting date moves the core group's due date."""
    case, members = planned
    overdue = [
        item
        for item in db.session.scalars(select(DueItem).where(DueItem.case_id == case.id))
        if item.code == "action" and item.due_on < dt.date.today()
    ]
    assert overdue
    plan = services.latest_version(case).document
    for need in plan["needs"]:
        for action in need["actions"]:
            action["status"] = "done"
    services.write_version(case, members["sam"].user, plan)
    db.session.commit()
    left = db.session.scalars(
        select(DueItem).where(DueItem.case_id == case.id, DueItem.code == "action")
    ).all()
    assert left == []
    html = page(client.get("/dashboard"))
    assert "was due by" not in html.get_text()


def test_rebuild_writes_every_cases_items_again(app, db):
    today = dt.date.today()
    lead = make_user(professional=True)
    cases = caseload(db, lead, 3, today)
    before = db.session.execute(
        select(DueItem.case_id, DueItem.code, DueItem.due_on).order_by(DueItem.id)
    ).all()
    db.session.execute(DueItem.__table__.delete())
    db.session.commit()
    from coregroup import dueitems

    assert dueitems.rebuild(batch=2) == len(cases)
    after = db.session.execute(
        select(DueItem.case_id, DueItem.code, DueItem.due_on).order_by(DueItem.id)
    ).all()
    assert sorted(after) == sorted(before) and after


def full_scans(plan: dict, leading: dict[str, str]) -> list[str]:
    """The tables a query plan reads whole, or nearly: a sequential scan, or an index read
    without a condition on its first column (end to end, or skipping through it: what
    PostgreSQL does with an index whose first column is not the one looked up). `leading`:
    each index's first column."""
    found = []
    node = plan["Node Type"]
    if node == "Seq Scan":
        found.append(plan["Relation Name"])
    elif node in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        first = leading.get(plan["Index Name"], "")
        if not re.search(rf"\b{first}\b", plan.get("Index Cond", "")):
            found.append(plan["Index Name"])
    for child in plan.get("Plans", []):
        found += full_scans(child, leading)
    return found


@pytest.mark.postgres_only
def test_no_page_scans_a_table_that_grows_with_the_database(client, planned, db):
    """Every query of the main pages, EXPLAINed on PostgreSQL with sequential scans priced out:
    a table that can be read through an index is; one that cannot shows a Seq Scan."""
    case, members = planned
    meeting_case = case
    from coregroup.meetings import services as meetings

    with client.application.test_request_context():
        meeting = meetings.open_meeting(meeting_case)
        db.session.commit()
    parent = members["layla"].user
    pages = [
        (members["sam"].user, "/dashboard"),
        (members["sam"].user, "/cases"),
        (members["sam"].user, f"/cases/{case.id}"),
        (members["sam"].user, f"/cases/{case.id}/plan"),
        (members["sam"].user, "/my-tasks"),
        (members["sam"].user, f"/cases/{case.id}/meetings"),
        (members["sam"].user, f"/cases/{case.id}/meetings/{meeting.number}"),
        (parent, f"/cases/{case.id}/plan"),
        (parent, "/my-tasks"),
    ]
    scans = {}
    for user, url in pages:
        sign_in(client, user)
        client.get(url)
        seen = []

        def keep(conn, cursor, statement, parameters, context, executemany, seen=seen):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            assert client.get(url).status_code == 200, url
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        with db.engine.connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))
            leading = dict(
                connection.execute(
                    text(
                        "SELECT i.indexrelid::regclass::text, a.attname FROM pg_index i "
                        "JOIN pg_attribute a ON a.attrelid = i.indrelid "
                        "AND a.attnum = i.indkey[0]"
                    )
                ).all()
            )
            raw = connection.connection.dbapi_connection
            for statement, parameters in seen:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                    plan = cursor.fetchone()[0][0]["Plan"]
                for table in full_scans(plan, leading):
                    scans.setdefault(url, set()).add((table, statement[:300]))
            raw.rollback()
    assert scans == {}


def test_the_list_of_cases_runs_the_same_queries_for_1_case_or_20(client, db):
    today = dt.date.today()
    lead = make_user(professional=True)
    caseload(db, lead, 1, today)
    sign_in(client, lead)
    client.get("/cases")
    with counting(db) as one:
        assert client.get("/cases").status_code == 200
    caseload(db, lead, 19, today, first=1)
    with counting(db) as twenty:
        html = page(client.get("/cases"))
    assert len(one) == len(twenty), (len(one), len(twenty))
    assert len(html.select("main li a")) == 20


def test_my_tasks_runs_the_same_queries_for_1_case_or_20(client, db):
    today = dt.date.today()
    lead = make_user(professional=True)
    caseload(db, lead, 1, today)
    sign_in(client, lead)
    client.get("/my-tasks")
    with counting(db) as one:
        assert client.get("/my-tasks").status_code == 200
    caseload(db, lead, 19, today, first=1)
    with counting(db) as twenty:
        html = page(client.get("/my-tasks"))
    assert len(one) == len(twenty), (len(one), len(twenty))
    # The lead is responsible for every other action: two in each case's plan.
    assert len(html.select("#tasks > li")) == 20 * 2
    assert html.select_one("#tasks .govuk-tag--red")


def test_the_due_items_command_rewrites_them_all(app, db, runner):
    today = dt.date.today()
    lead = make_user(professional=True)
    caseload(db, lead, 2, today)
    db.session.execute(DueItem.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["due-items"])
    assert result.exit_code == 0, result.output
    assert "rewritten for 2 cases" in result.output
    assert db.session.scalar(select(func.count()).select_from(DueItem)) > 0


def test_a_member_leaving_by_date_is_counted_by_the_daily_run(client, planned, db):
    """The plan and minutes are owed to members still in the group: a leaving date reached
    (set earlier, no write today) changes the count when the daily run rewrites the case."""
    from coregroup import dueitems
    from coregroup.meetings import services as meetings
    from coregroup.models import Member

    case, members = planned
    with client.application.test_request_context():
        meeting = meetings.open_meeting(case)
        meeting.status = "completed"
        meeting.record = {**meeting.record, "date": dt.date.today().isoformat()}
        db.session.commit()

    def owed():
        return db.session.scalar(
            select(DueItem.count).where(DueItem.case_id == case.id, DueItem.code == "circulation")
        )

    before = owed()
    assert before
    # The teacher's leaving date, set earlier: reached today, with no write today.
    db.session.execute(
        Member.__table__.update()
        .where(Member.id == members["priya"].id)
        .values(left_on=dt.date.today())
    )
    db.session.commit()
    assert owed() == before
    assert dueitems.rewrite_where_membership_turned(dt.date.today()) == 1
    assert owed() == before - 1


def test_the_list_of_cases_and_my_meetings_come_a_page_at_a_time(client, db, monkeypatch):
    from coregroup import main, tasks
    from coregroup.models import AuditEvent

    monkeypatch.setattr(main, "CASES_PER_PAGE", 8)
    monkeypatch.setattr(tasks, "DATES_PER_PAGE", 8)
    today = dt.date.today()
    lead = make_user(professional=True)
    caseload(db, lead, 20, today)
    sign_in(client, lead)
    first, last = page(client.get("/cases")), page(client.get("/cases?page=3"))
    names = [a.get_text() for a in first.select("main ul.govuk-list li a")]
    assert len(names) == 8 and "You are in 20 core groups." in first.get_text()
    assert len(last.select("main ul.govuk-list li a")) == 4
    assert first.select_one(".govuk-pagination__next a")["href"].endswith("page=2")
    assert page(client.get("/cases?page=99")).select("main ul.govuk-list li a")  # the last page
    assert client.get("/cases?page=x").status_code == 404
    viewed = set(
        db.session.scalars(select(AuditEvent.case_id).where(AuditEvent.target == "GET /cases"))
    )
    assert len(viewed) == 8  # only the cases the page showed
    mine = page(client.get("/my-tasks"))
    rows = mine.select("#dates ~ table tbody tr")
    assert len(rows) == 8 and "Your 20 cases" in mine.get_text()
    assert "LOAD-0" in rows[0].select_one("th").get_text()  # each case's reference
    assert mine.select("#dates ~ table .govuk-tag--red")  # a meeting past its latest date
    assert "(page 1 of 3)" in mine.select_one("title").get_text()
    assert len(page(client.get("/my-tasks?page=3")).select("#dates ~ table tbody tr")) == 4

    # Soonest first: the next meeting, or the latest it may be held, in date order.
    def day(text: str):
        return dt.datetime.strptime(text, "%d %B %Y").date()

    order = []
    for row in rows:
        planned, held_by = (td.get_text(strip=True) for td in row.select("td")[:2])
        held_by = held_by.removesuffix("Overdue")  # marked when the date has passed
        order.append(day(planned) if planned != "Not set yet" else day(held_by))
    assert order == sorted(order)


def test_at_scale_every_page_runs_the_same_queries_in_a_database_twice_the_size(
    database_uri, tmp_path
):
    """The small version of `make bench-scale`: its bulk loader (bench/scale_data.py) fills a
    database with realistic open and closed cases, then doubles it; every page the benchmark
    measures runs the same number of queries at both sizes, for a reader with 1 case, one with
    every case, and a parent."""
    from bench import scale_data
    from coregroup import create_app
    from coregroup.extensions import db as database

    info = scale_data.load(database_uri, 12, 12, audit_per_case=3)
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        COREGROUP_AUDIT_CHECKPOINTS=str(tmp_path / "checkpoints"),
    )
    readers = info["readers"]
    case, parent_case = info["chair_case"], info["parent_case"]
    pages = {
        "chair": [
            "/dashboard",
            "/cases",
            f"/cases/{case}",
            f"/cases/{case}/plan",
            "/my-tasks",
            f"/cases/{case}/meetings",
            f"/cases/{case}/meetings/1/minutes",
        ],
        "one": ["/dashboard", "/cases", "/my-tasks"],
        "parent": [f"/cases/{parent_case}/plan/read", "/my-tasks", "/cases"],
    }

    def measure() -> dict[str, int]:
        counts = {}
        with app.app_context():
            for who, urls in pages.items():
                client = app.test_client()
                signed = client.post(
                    "/sign-in",
                    data={"email": readers[who]["email"], "password": readers[who]["password"]},
                )
                assert signed.status_code == 302
                for url in urls:
                    assert client.get(url).status_code == 200, (who, url)
                    with counting(database) as seen:
                        assert client.get(url).status_code == 200, (who, url)
                    counts[f"{who} {url}"] = len(seen)
            database.session.remove()
            database.engine.dispose()
        return counts

    small = measure()
    scale_data.load(database_uri, 12, 12, audit_per_case=3, seed=1)
    assert measure() == small
