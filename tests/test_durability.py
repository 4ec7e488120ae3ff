"""Every change waits for the disk; only the record that a page was read may commit without
waiting (SQLite WAL with synchronous=NORMAL: safe from crashes of the app, see extensions)."""

from sqlalchemy import event, func


def _statements(db):
    seen = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, s, *a: seen.append(s))
    return seen


def test_reading_relaxes_durability_only_for_its_audit_record(client, planned, db):
    case, _ = planned
    read_url, change_url = f"/cases/{case.id}/plan/read", f"/cases/{case.id}/plan/aims/aims"
    db.session.commit()  # the test's own transaction ends before each request starts one
    seen = _statements(db)
    client.get(read_url)
    read = list(seen)
    db.session.commit()
    seen.clear()
    client.post(change_url, data={"aims": "Safe at home"})
    change = list(seen)
    if db.engine.dialect.name != "sqlite":
        assert not [s for s in read + change if s.startswith("PRAGMA")]
        return
    audit = next(n for n, s in enumerate(read) if s.startswith("INSERT INTO audit_event"))
    pragmas = [s for s in read[:audit] if s.startswith("PRAGMA synchronous")]
    assert pragmas[-1] == "PRAGMA synchronous=NORMAL"
    first_write = next(n for n, s in enumerate(change) if s == "BEGIN IMMEDIATE")
    assert [s for s in change[:first_write] if s.startswith("PRAGMA synchronous")] == [
        "PRAGMA synchronous=FULL"
    ]
    assert any(s.startswith("INSERT INTO audit_event") for s in change[first_write:])


def test_reading_records_in_batches_are_all_written_and_chained(client, planned, db, app):
    """Production appends records of reading in batches (one transaction each) from a thread
    of the process; none is lost, the chain holds, and the page does not wait for them."""
    import threading
    import time

    from sqlalchemy import select

    from coregroup import audit
    from coregroup.models import AuditEvent

    case, members = planned
    app.config["COREGROUP_AUDIT_READ_BATCH_SECONDS"] = 0.05
    url = f"/cases/{case.id}/plan/read"
    db.session.commit()
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    served = []  # what the requests themselves ran (not the batch writer's thread)
    me = threading.get_ident()
    event.listen(
        db.engine,
        "before_cursor_execute",
        lambda c, cur, s, *a: served.append(s) if threading.get_ident() == me else None,
    )
    for _ in range(5):
        assert client.get(url).status_code == 200
    deadline = time.monotonic() + 10
    while db.session.scalar(select(func.count(AuditEvent.id))) < before + 5:
        assert time.monotonic() < deadline, "reading records were not written"
        time.sleep(0.05)
        db.session.commit()
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "view").order_by(AuditEvent.id.desc())
    ).all()[:5]
    assert {(e.user_id, e.case_id, e.target) for e in views} == {
        (members["sam"].user_id, case.id, f"GET {url}")
    }
    assert audit.verify()[1] is None  # the chain is whole
    # The requests themselves wrote nothing: the records went in the batch.
    assert not [s for s in served if s.startswith("INSERT INTO audit_event")]
    assert audit.flush_reads(app) == 0  # nothing left waiting


def test_when_reading_records_cannot_be_written_reads_are_refused_again(app, db, monkeypatch):
    """Batches that keep failing never let reading go on unrecorded for long: once records
    have waited for ten batch intervals, each read is recorded at once again, and fails with
    the database; what waited is written when the database takes it again."""
    import time

    import pytest
    from sqlalchemy import select

    from coregroup import audit
    from coregroup.models import AuditEvent

    app.config["COREGROUP_AUDIT_READ_BATCH_SECONDS"] = 0.02
    append = audit._append

    def refused(event):
        raise RuntimeError("the database refuses the record")

    monkeypatch.setattr(audit, "_append", refused)
    with app.test_request_context("/cases/1/plan/read"):
        audit.record_read("view", "waits in memory", None)  # the page is served
    time.sleep(0.1 + audit.STALE_AFTER * 0.02)
    with app.test_request_context("/cases/1/plan/read"), pytest.raises(RuntimeError):
        audit.record_read("view", "refused with the database", None)
    monkeypatch.setattr(audit, "_append", append)
    deadline = time.monotonic() + 10
    while not db.session.scalar(select(AuditEvent).where(AuditEvent.target == "waits in memory")):
        assert time.monotonic() < deadline, "the waiting record was never written"
        time.sleep(0.05)
        db.session.commit()
    assert audit.verify()[1] is None


def test_a_batch_of_reading_records_is_written_with_a_fixed_number_of_statements(
    client, planned, db, app
):
    """However many records of reading wait, a batch looks at the chain's end once and inserts
    them all in one statement (the batch writer's CPU would otherwise grow with the reads)."""
    from sqlalchemy import select

    from coregroup import audit
    from coregroup.models import AuditEvent

    case, _members = planned
    app.config["COREGROUP_AUDIT_READ_BATCH_SECONDS"] = 3600  # written only when asked, below
    url = f"/cases/{case.id}/plan/read"
    for _ in range(40):
        assert client.get(url).status_code == 200
    db.session.commit()
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s))
    assert audit.flush_reads(app) == 40
    inserts = [s for s in statements if s.startswith("INSERT INTO audit_event")]
    assert len(inserts) == 1 and len(statements) <= 6, statements
    db.session.commit()  # a fresh look (SQLite: end this session's earlier read)
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before + 40
    assert audit.verify()[1] is None  # chained in the order they were read
