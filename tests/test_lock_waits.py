"""A change that waits for another change to the same case waits at most
COREGROUP_LOCK_WAIT_SECONDS, then is answered 503 with Retry-After, losing nothing: a plan
page's answers go into the person's draft without waiting for anyone else's change, so they are
kept before the plan is saved; a form's answers come back in a page that sends them again.
Changes to different cases never wait for each other."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from sqlalchemy import create_engine, select, text

from coregroup.models import PlanDraft, PlanVersion
from tests.conftest import make_case, make_member, make_user, page

WAIT = 0.5
SAME_SITE = {"Origin": "http://localhost"}


@pytest.fixture
def short_waits(app, db):
    app.config["COREGROUP_LOCK_WAIT_SECONDS"] = WAIT
    db.engine.dispose()  # SQLite's busy timeout is set as a connection opens
    return app


@contextlib.contextmanager
def another_change_to(db, case_id: int):
    """Another request's change to the case, in the middle of its transaction: PostgreSQL, the
    case's row lock; SQLite, the one writer's lock."""
    db.session.rollback()  # the test's own reading done
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(url)
    with engine.connect() as other:
        other.execute(
            text('SELECT id FROM "case" WHERE id = :id FOR NO KEY UPDATE'), {"id": case_id}
        )
        yield
        other.rollback()
    engine.dispose()


def test_a_save_that_waits_too_long_is_503_with_retry_after_and_the_draft_kept(
    client, planned, db, short_waits
):
    case, members = planned
    case = case.id
    before = db.session.scalar(select(PlanVersion.number).order_by(PlanVersion.number.desc()))
    if db.engine.url.get_backend_name() == "postgresql":
        # The page's answers go into the person's draft: no wait for the case's other change.
        with another_change_to(db, case):
            answered = client.post(
                f"/cases/{case}/plan/aims/aims", data={"aims": "Kept while busy"}
            )
            assert answered.status_code == 302
            saved = client.post(f"/cases/{case}/plan/save", headers=SAME_SITE)
    else:
        answered = client.post(f"/cases/{case}/plan/aims/aims", data={"aims": "Kept while busy"})
        assert answered.status_code == 302
        with another_change_to(db, case):
            saved = client.post(f"/cases/{case}/plan/save", headers=SAME_SITE)
    assert saved.status_code == 503
    assert saved.headers["Retry-After"] == "5"
    assert "Someone else is saving a change to this case" in saved.text
    db.session.expire_all()
    draft = db.session.scalar(select(PlanDraft).where(PlanDraft.case_id == case))
    assert draft.document["aims"] == "Kept while busy"
    assert (
        db.session.scalar(select(PlanVersion.number).order_by(PlanVersion.number.desc())) == before
    )
    # Once the other change is done, the same save goes through with the kept answers.
    assert client.post(f"/cases/{case}/plan/save", headers=SAME_SITE).status_code == 302
    db.session.expire_all()
    latest = db.session.scalars(select(PlanVersion).order_by(PlanVersion.number.desc())).first()
    assert latest.number == before + 1 and latest.document["aims"] == "Kept while busy"


def test_a_form_that_waits_too_long_comes_back_with_what_was_typed(
    client, planned, db, short_waits
):
    """The family's views: the page is answered 503, and what they typed is on it, in a form
    that sends it to the same place again."""
    case, members = planned
    url = f"/cases/{case.id}/plan/views"
    case = case.id
    typed = {"views": "We want Sam home by Christmas & safe"}
    with another_change_to(db, case):
        busy = client.post(url, data=typed, headers=SAME_SITE)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    html = page(busy)
    form = html.select_one("main form")
    assert form["action"] == url
    sent = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert sent["views"] == typed["views"]
    assert "csrf_token" in sent
    assert typed["views"] in html.select_one("main dl").get_text()


def test_the_api_says_busy_in_problem_details(client, planned, db, short_waits):
    case, members = planned
    case = case.id
    with another_change_to(db, case):
        answer = client.patch(
            f"/api/v1/cases/{case}/plan",
            json={"aims": "Busy"},
            headers={"Content-Type": "application/merge-patch+json", "If-Match": "*"},
        )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.mimetype == "application/problem+json"
    assert answer.json["type"].endswith("busy")


@pytest.mark.postgres_only
def test_changes_to_different_cases_never_wait_for_each_other(client, planned, db, short_waits):
    case, members = planned
    lead = members["sam"].user
    other = make_case(reference="OTHER-1")
    make_member(other, lead, ref="m-other-lead")
    make_member(other, make_user(), role="teacher", ref="m-other-t")
    db.session.commit()
    case, other = case.id, other.id
    with another_change_to(db, case):
        changed = client.post(f"/cases/{other}/plan/save", headers=SAME_SITE)
        assert changed.status_code == 302  # the other case's lock, taken at once
        waited = client.post(f"/cases/{case}/plan/save", headers=SAME_SITE)
        assert waited.status_code == 503  # this case's lock: held by the other change


def test_a_page_read_while_another_change_holds_the_case_is_never_a_500(
    client, planned, db, short_waits
):
    """SQLite: a page's record of reading waits for the one writer like any change, then the
    page is 503 with Retry-After (it is not sent without its record). PostgreSQL: reading
    never waits for a change."""
    case, members = planned
    case = case.id
    with another_change_to(db, case):
        for url in (f"/cases/{case}", "/dashboard", f"/cases/{case}/plan"):
            answer = client.get(url)
            if db.engine.url.get_backend_name() == "sqlite":
                assert answer.status_code == 503, url
                assert answer.headers["Retry-After"] == "5"
                assert "Sorry, the service is busy" in answer.text
            else:
                assert answer.status_code == 200, url
    assert client.get(f"/cases/{case}").status_code == 200


def test_what_was_typed_comes_back_from_a_form_sent_without_an_origin(
    client, planned, db, short_waits
):
    """Some browsers and tools send neither Origin nor Referer: the form passed its CSRF check
    to get this far, so its answers still come back."""
    case, members = planned
    url = f"/cases/{case.id}/plan/views"
    case = case.id
    with another_change_to(db, case):
        busy = client.post(url, data={"views": "Kept without an origin", "page_state": "{}"})
    assert busy.status_code == 503
    html = page(busy)
    sent = {i["name"]: i["value"] for i in html.select("main form input[type=hidden]")}
    assert sent["views"] == "Kept without an origin" and sent["page_state"] == "{}"
    # The form's own workings go back with it, but are not shown as what was typed.
    assert [dd.get_text() for dd in html.select("main dl dd")] == ["Kept without an origin"]


def test_no_such_page_while_another_change_holds_the_database_is_never_a_500(
    client, planned, db, short_waits
):
    case, members = planned
    case = case.id
    with another_change_to(db, case):
        for url in ("/no-such-page", "/favicon.ico"):
            assert client.get(url).status_code in (404, 503), url
