"""Query discipline: pages and exports run the same number of SQL queries for a small case and
a large one (12 needs, 40 actions, 15 members, 60 versions), and the dashboard for 1 or 8 cases."""

import contextlib
import datetime as dt

import pytest
from sqlalchemy import event

from coregroup.plans import services
from tests.conftest import make_case, make_member, make_user, sign_in
from tests.factories import large_plan


@contextlib.contextmanager
def counting(db):
    seen = []

    def count(conn, cursor, statement, *args):
        # Not a query: SQLite's durability setting, switched for records of reading.
        if not statement.startswith("PRAGMA synchronous"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def build_case(db, lead, members: int, versions: int, needs: int, actions: int):
    case = make_case(initial_conference=dt.date(2026, 9, 1))
    make_member(case, lead, ref=f"m-lead{case.id}")
    refs = [f"m-lead{case.id}"]
    for n in range(members - 1):
        refs.append(
            make_member(case, None, name=f"P{n}", role="teacher", ref=f"m-c{case.id}p{n}").ref
        )
    plan = large_plan(refs, services.plan_schema().version, needs, actions)
    for v in range(versions):
        plan["aims"] = f"Version {v}"
        services.write_version(case, lead, dict(plan))
    db.session.commit()
    return case


URLS = [
    "/cases/{id}/plan",
    "/cases/{id}/plan/check",
    "/api/v1/cases/{id}/plan",
    "/cases/{id}",
    "/cases/{id}/meetings",
    "/cases/{id}/plan/versions",
]


@pytest.mark.parametrize("url", URLS)
def test_case_pages_run_the_same_queries_for_a_small_and_a_large_case(client, db, url):
    lead = make_user()
    small = build_case(db, lead, members=2, versions=1, needs=1, actions=1)
    large = build_case(db, lead, members=15, versions=60, needs=12, actions=40)
    sign_in(client, lead)
    counts = []
    for case in (small, large):
        client.get(url.format(id=case.id))  # warm: presence rows and the like exist
        with counting(db) as seen:
            assert client.get(url.format(id=case.id)).status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], f"{url}: {counts}"
    assert counts[1] <= 30


def test_the_dashboard_runs_the_same_queries_for_one_case_or_eight(client, db):
    lead = make_user()
    build_case(db, lead, members=3, versions=1, needs=2, actions=3)
    sign_in(client, lead)
    client.get("/dashboard")
    with counting(db) as one:
        client.get("/dashboard")
    for _n in range(7):
        build_case(db, lead, members=3, versions=1, needs=2, actions=3)
    with counting(db) as eight:
        client.get("/dashboard")
    assert len(one) == len(eight), (len(one), len(eight))
