"""Every change waits for the disk; only the record that a page was read may commit without
waiting (SQLite WAL with synchronous=NORMAL: safe from crashes of the app, see extensions)."""

from sqlalchemy import event


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
