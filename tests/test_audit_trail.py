"""The request's one unit of work, the record of every read, and the audit chains: per case,
checked from their start and against signed checkpoints outside the database."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import requests
from sqlalchemy import event, func, select, text

from coregroup import audit, checkpoints, create_app
from coregroup.extensions import db as _db
from coregroup.models import AuditChain, AuditEvent, PlanVersion
from tests.conftest import PASSWORD, make_case, make_member, make_user
from tests.servers import AppProcess


def commits_during(engine, action) -> int:
    counted = []
    listener = lambda connection: counted.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        action()
    finally:
        event.remove(engine, "commit", listener)
    return len(counted)


def test_a_save_and_its_record_commit_once_at_the_requests_end(client, planned, db):
    case, _members = planned
    before = db.session.scalar(select(func.count(PlanVersion.id)))
    commits = commits_during(
        db.engine,
        lambda: client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "One commit"}),
    )
    commits += commits_during(
        db.engine, lambda: client.post(f"/cases/{case.id}/plan/save", data={})
    )
    assert db.session.scalar(select(func.count(PlanVersion.id))) == before + 1
    assert commits == 2  # one per request: the draft, then the version with its record
    read = commits_during(db.engine, lambda: client.get(f"/cases/{case.id}"))
    assert read == 1  # the page and the record of its reading


def test_a_request_that_fails_keeps_nothing_it_wrote_not_even_its_record(
    client, planned, db, app, monkeypatch
):
    """A failure after the change was made: the change and the record both roll back."""
    from coregroup.plans import services

    case, _members = planned
    real = services.write_version

    def fails_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()  # the new version is in the transaction
        raise RuntimeError("the disk filled up")

    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Never saved"})
    versions = db.session.scalar(select(func.count(PlanVersion.id)))
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    monkeypatch.setattr(services, "write_version", fails_after_writing)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answered as in production
    response = client.post(f"/cases/{case.id}/plan/save", data={})
    assert response.status_code == 500
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PlanVersion.id))) == versions
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    monkeypatch.setattr(services, "write_version", real)
    assert client.post(f"/cases/{case.id}/plan/save", data={}).status_code == 302  # draft kept


def test_events_go_on_their_cases_chain_each_one_after_the_last(client, planned, db):
    case, members = planned
    other = make_case()
    make_member(other, members["sam"].user, role="lead-social-worker")
    client.get(f"/cases/{case.id}")
    client.get(f"/cases/{other.id}")
    client.get(f"/cases/{case.id}/plan/read")
    client.get("/cases")
    mine = db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == f"case/{case.id}").order_by(AuditEvent.seq)
    ).all()
    assert [e.seq for e in mine] == list(range(1, len(mine) + 1))
    assert [e.target for e in mine[-3:]] == [
        f"GET /cases/{case.id}",
        f"GET /cases/{case.id}/plan/read",
        "GET /cases",  # the list names the case: on its chain too
    ]
    assert all(e.prev_hash == p.hash for p, e in zip(mine, mine[1:], strict=False))
    assert db.session.scalar(
        select(AuditEvent.chain).where(AuditEvent.target == f"GET /cases/{other.id}")
    ) == (f"case/{other.id}")
    listed = db.session.scalars(select(AuditEvent.chain).where(AuditEvent.target == "GET /cases"))
    assert sorted(listed) == sorted([f"case/{case.id}", f"case/{other.id}"])
    signed_in = select(AuditEvent.chain).where(AuditEvent.action == "sign-in")
    assert db.session.scalar(signed_in) == f"user/{members['sam'].user.id}"
    verified = audit.verify_chains()
    assert verified.broken == [] and verified.count == db.session.scalar(
        select(func.count(AuditEvent.id))
    )


# --- Tampering, each kind, on both databases ---------------------------------------------------


def _events(app, case_id: int, n: int = 4) -> None:
    with app.test_request_context():
        for number in range(n):
            audit.record("view", f"page {number}", None, case_id)
    _db.session.commit()


def _around_the_triggers(statements: list[tuple[str, dict]]) -> None:
    sqlite = _db.engine.dialect.name == "sqlite"
    if sqlite:
        _db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        _db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        _db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    for statement, values in statements:
        _db.session.execute(text(statement), values)
    _db.session.commit()


def _chain(case_id: int) -> list[AuditEvent]:
    return list(
        _db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == f"case/{case_id}").order_by(AuditEvent.seq)
        )
    )


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_an_intact_trail_verifies_and_says_what_the_checkpoint_covers(app, db, runner):
    case = make_case()
    _events(app, case.id)
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    _events(app, case.id, 2)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "every chain is intact" in result.output
    assert "covers 4 of them; 2 written since" in result.output


def test_an_edited_event_is_found(app, db, runner):
    case = make_case()
    _events(app, case.id)
    second = _chain(case.id)[1]
    _around_the_triggers(
        [("UPDATE audit_event SET target = 'edited' WHERE id = :id", {"id": second.id})]
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Audit event {second.id} has been tampered with: its contents do not match" in (
        result.output
    )


def test_a_deleted_event_is_found(app, db, runner):
    case = make_case()
    _events(app, case.id)
    second, third = _chain(case.id)[1:3]
    _around_the_triggers([("DELETE FROM audit_event WHERE id = :id", {"id": second.id})])
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Audit event {third.id} has been tampered with: events before it are missing" in (
        result.output
    )


def test_reordered_events_are_found(app, db, runner):
    case = make_case()
    _events(app, case.id)
    one, two = _chain(case.id)[1:3]
    _around_the_triggers(
        [
            ("UPDATE audit_event SET seq = -1 WHERE id = :id", {"id": one.id}),
            ("UPDATE audit_event SET seq = :seq WHERE id = :id", {"seq": one.seq, "id": two.id}),
            ("UPDATE audit_event SET seq = :seq WHERE id = :id", {"seq": two.seq, "id": one.id}),
        ]
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Audit event {two.id} has been tampered with: it does not follow" in result.output


def test_a_chain_cut_short_is_found_by_the_checkpoint(app, db, runner):
    """The last events removed and the chain's end set back: every hash still fits, so only
    the signed checkpoint can tell."""
    case = make_case()
    _events(app, case.id)
    checkpoints.write()
    db.session.rollback()
    kept = _chain(case.id)[1]
    _around_the_triggers(
        [
            (
                "DELETE FROM audit_event WHERE chain = :chain AND seq > 2",
                {"chain": f"case/{case.id}"},
            ),
            (
                "UPDATE audit_chain SET length = 2, head = :head WHERE name = :chain",
                {"head": kept.hash, "chain": f"case/{case.id}"},
            ),
        ]
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"The chain case/{case.id} has 2 events, but had 4 at the checkpoint" in result.output


def test_a_chain_rebuilt_from_its_start_is_found_by_the_checkpoint(app, db, runner):
    """Every event rewritten and rehashed in order, as someone with the database alone could:
    the chain is whole again, but it is not the chain that was signed."""
    case = make_case()
    _events(app, case.id)
    checkpoints.write()
    db.session.rollback()
    chain, prev, statements = f"case/{case.id}", audit.GENESIS, []
    for found in _chain(case.id):
        target = found.target.replace("page 1", "page 99")
        content = audit.content_hash(
            found.at, found.user_id, found.case_id, found.action, target, found.ip
        )
        digest = audit.link_hash(chain, found.seq, prev, content)
        statements.append(
            (
                "UPDATE audit_event SET target = :target, content_hash = :content, "
                "prev_hash = :prev, hash = :hash WHERE id = :id",
                {
                    "target": target,
                    "content": content,
                    "prev": prev,
                    "hash": digest,
                    "id": found.id,
                },
            )
        )
        prev = digest
    statements.append(
        ("UPDATE audit_chain SET head = :head WHERE name = :chain", {"head": prev, "chain": chain})
    )
    _around_the_triggers(statements)
    assert audit.verify_chains().broken == []  # whole, by its hashes alone
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"The chain {chain} is not the one signed at" in result.output


def test_a_forged_checkpoint_is_refused(app, db, runner):
    case = make_case()
    _events(app, case.id)
    path = checkpoints.write()
    db.session.rollback()
    found = json.loads(path.read_text())
    found["statement"]["chains"][f"case/{case.id}"][0] = 2  # hide two events from the checkpoint
    path.write_text(json.dumps(found))
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Checkpoint {path.name} is not signed by the audit key." in result.output


def test_a_checkpoint_is_written_by_a_request_when_the_last_is_a_minute_old(client, planned, app):
    case, _members = planned
    folder = checkpoints.directory()
    first = set(folder.glob("*.json"))
    assert len(first) == 1  # written when the sign-in, the first thing recorded, committed
    client.get(f"/cases/{case.id}")
    assert set(folder.glob("*.json")) == first  # not due again within the minute
    newest = folder / checkpoints.NEWEST
    os.utime(newest, (time.time() - 61, time.time() - 61))
    client.get(f"/cases/{case.id}")
    assert len(set(folder.glob("*.json")) - first) == 1
    signed = checkpoints.load()[0][-1]
    assert signed.chains[f"case/{case.id}"][0] == len(_chain(case.id))


def test_with_checkpoints_by_a_timer_no_request_writes_one(client, planned, app, runner):
    """COREGROUP_AUDIT_CHECKPOINT_BY_REQUESTS=0 (national scale): requests never read every
    chain's end; `flask audit checkpoint` from a timer writes them."""
    case, _members = planned
    app.config["COREGROUP_AUDIT_CHECKPOINT_BY_REQUESTS"] = False
    folder = checkpoints.directory()
    first = set(folder.glob("*.json"))
    os.utime(folder / checkpoints.NEWEST, (time.time() - 61, time.time() - 61))
    client.get(f"/cases/{case.id}")
    assert set(folder.glob("*.json")) == first
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    assert len(set(folder.glob("*.json")) - first) == 1


ERASE = (
    "UPDATE audit_event SET action = :erased, target = :target, ip = NULL, user_id = :user "
    "WHERE chain = :chain"
)


def test_erased_content_of_a_closed_case_leaves_the_chain_verifiable(app, db, runner):
    """What an event says about a closed case can be removed (retention) and the chain still
    holds: the chain covers a hash of the content, not the content."""
    case = make_case(status="closed")
    _events(app, case.id)
    checkpoints.write()
    db.session.rollback()
    values = {"erased": audit.ERASED, "target": "", "user": None, "chain": f"case/{case.id}"}
    _around_the_triggers([(ERASE, values)])
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "4 of them had their content erased" in result.output


@pytest.mark.parametrize(
    "status, target, user",
    [("open", "", False), ("closed", "nothing to see here", False), ("closed", "", True)],
    ids=["open case", "words left", "a person left"],
)
def test_marking_events_erased_hides_nothing(app, db, runner, status, target, user):
    """ "Erased" is no way round the hashes: only as retention erases (a closed case, nothing
    left of what the event said) is an event's content not checked."""
    case = make_case(status=status)
    someone = make_user()
    _events(app, case.id)
    values = {
        "erased": audit.ERASED,
        "target": target,
        "user": someone.id if user else None,
        "chain": f"case/{case.id}",
    }
    _around_the_triggers([(ERASE, values)])
    result = _verify(runner)
    assert result.exit_code == 1
    assert "marked erased, but not as retention erases" in result.output


@pytest.mark.postgres_only
def test_appends_to_one_case_never_wait_for_another_case(app, db, postgres):
    """PostgreSQL: a transaction holding case 1's chain does not hold up case 2's records."""
    first, second = make_case(), make_case()
    _events(app, first.id, 1)
    _events(app, second.id, 1)
    holder = _db.engine.connect()
    holding = holder.begin()
    holder.execute(
        text("SELECT * FROM audit_chain WHERE name = :n FOR UPDATE"), {"n": f"case/{first.id}"}
    )
    try:
        _db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        _events(app, second.id, 1)  # would time out if it waited for the lock on case 1
        assert len(_chain(second.id)) == 2

        waited = {}

        def append_to_first():
            with app.app_context():
                started = time.monotonic()
                _events(app, first.id, 1)
                waited["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=append_to_first)
        thread.start()
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        deadline = time.monotonic() + 10
        while not holder.execute(waiting).scalar():  # until its append waits for the lock
            assert time.monotonic() < deadline, "the append never waited for case 1's chain"
            holder.execute(text("SELECT pg_stat_clear_snapshot()"))  # a fresh look each time
        assert thread.is_alive()  # case 1's chain is held: its append waits, in order
    finally:
        holding.rollback()
        holder.close()
    thread.join(10)
    assert waited["seconds"] > 0
    assert audit.verify_chains().broken == []


# --- A worker killed outright has recorded what it served --------------------------------------


def test_a_worker_killed_right_after_serving_a_page_has_recorded_its_reading(database_uri):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        _db.create_all()
        case = make_case()
        user = make_user(name="Sam")
        make_member(case, user)
        email, case_id = user.email, case.id
        _db.session.remove()
        _db.engine.dispose()
    server = AppProcess(SQLALCHEMY_DATABASE_URI=database_uri)
    try:
        base = server.base
        browser = requests.Session()
        signed = browser.post(
            f"{base}/sign-in", data={"email": email, "password": PASSWORD}, allow_redirects=False
        )
        assert signed.status_code == 302
        served = browser.get(f"{base}/cases/{case_id}/plan/read", allow_redirects=False)
        assert served.status_code == 200
        os.kill(server.process.pid, signal.SIGKILL)  # at once: no exit handlers, nothing flushed
        server.process.wait(10)
    finally:
        server.stop()
    with app.app_context():
        targets = list(_db.session.scalars(select(AuditEvent.target).order_by(AuditEvent.id)))
        assert targets[-1] == f"GET /cases/{case_id}/plan/read"
        assert audit.verify_chains().broken == []
        assert (
            _db.session.scalar(
                select(AuditChain.length).where(AuditChain.name == f"case/{case_id}")
            )
            == 1
        )
        _db.session.remove()
        _db.engine.dispose()


def test_pages_and_exports_of_many_cases_are_on_each_cases_audit(client, planned, db):
    """The dashboard, the list of cases and the bulk exports show several cases at once: each
    case's own audit names who saw it."""
    from coregroup import tokens

    case, members = planned
    other = make_case()
    make_member(other, members["sam"].user, role="lead-social-worker")
    _, secret = tokens.create(members["sam"].user, "bulk", ["export", "read:cases"])
    bearer = {"Authorization": f"Bearer {secret}"}
    client.get("/dashboard")
    client.get("/cases")
    client.get("/api/v1/cases", headers=bearer)
    assert client.get("/api/v1/export.ndjson", headers=bearer).status_code == 200
    assert client.get("/api/v1/cin.csv?year=2027", headers=bearer).status_code == 200
    for each in (case, other):
        html = client.get(f"/cases/{each.id}/audit").text if each is case else None
        targets = set(
            db.session.scalars(select(AuditEvent.target).where(AuditEvent.case_id == each.id))
        )
        assert {"GET /dashboard", "GET /cases"} <= targets
        assert {
            "GET /api/v1/cases (token 1)",
            "GET /api/v1/export.ndjson (token 1)",
            "GET /api/v1/cin.csv (token 1)",
        } <= targets
        if html is not None:
            assert "/api/v1/export.ndjson" in html


def test_checkpoints_removed_altogether_are_noticed(app, db, runner):
    """With checkpoints configured, a trail with events and not one checkpoint is not intact:
    they were removed (perhaps to hide a rebuilt chain), or could never be written."""
    import shutil

    case = make_case()
    _events(app, case.id)
    checkpoints.write()
    db.session.rollback()
    assert _verify(runner).exit_code == 0
    shutil.rmtree(checkpoints.directory())
    (checkpoints.directory()).mkdir()
    (checkpoints.directory() / "stray.json").mkdir()  # not a file: named, not a crash
    result = _verify(runner)
    assert result.exit_code == 1
    assert "There is no signed checkpoint" in result.output
    assert "stray.json in the checkpoint directory is not a checkpoint" in result.output
