"""The audit trail: who viewed or changed what, when and from where, chained by hash."""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
import time
from contextlib import contextmanager

from flask import current_app, has_request_context, request
from sqlalchemy import select, text

from coregroup.extensions import db, lightly_durable, write_lock
from coregroup.models import AuditEvent, utcnow

GENESIS = "0" * 64
# Any fixed number: PostgreSQL serialises appends to the chain with this advisory lock.
_CHAIN_LOCK = 727274


def _digest(prev_hash: str, at, user_id, case_id, action, target, ip) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), user_id, case_id, action, target, ip],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_APPEND = AuditEvent.__table__.insert()


def record(action: str, target: str, user_id: int | None = None, case_id: int | None = None):
    """Add an event in the current transaction, so it commits (or not) with the change."""
    _append([_event(action, target, user_id, case_id)])


def _event(action: str, target: str, user_id: int | None, case_id: int | None) -> dict:
    return {
        "at": utcnow(),
        "user_id": user_id,
        "case_id": case_id,
        "action": action,
        "target": target[:500],
        "ip": request.remote_addr if has_request_context() else None,
    }


def _append(events: list[dict]) -> None:
    """Chain `events`, in order, to the last one: one look at the chain's end and one plain
    INSERT of them all (no ORM unit of work), however many there are (a batch of reads)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    prev = db.session.execute(_LAST_HASH).scalar() or GENESIS
    rows = []
    for event in events:
        digest = _digest(prev, **event)
        rows.append({**event, "prev_hash": prev, "hash": digest})
        prev = digest
    db.session.execute(_APPEND, rows)


@contextmanager
def writing(durable: bool = True):
    """A transaction that takes the write lock at its start (SQLite's BEGIN IMMEDIATE).

    `durable=False` only for records of reading (see `extensions.lightly_durable`).
    """
    db.session.commit()  # end whatever read transaction is open
    token = write_lock.set(True)
    relaxed = lightly_durable.set(not durable)
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        lightly_durable.reset(relaxed)
        write_lock.reset(token)


def record_now(action: str, target: str, user_id: int | None = None, case_id=None, durable=True):
    """Record an event in a transaction of its own (after a page was only read)."""
    with writing(durable):
        record(action, target, user_id, case_id)


def record_read(action: str, target: str, user_id: int | None, case_id: int | None = None):
    """Record that someone read something (a page, an export), after it was read.

    With COREGROUP_AUDIT_READ_BATCH_SECONDS set (production: 0.2 s), records of reading are
    kept in this process and appended together, in one transaction, by a background thread
    at most that long after, and when the process exits normally (waiting for a batch being
    written): one transaction per batch instead of one per page view. A process killed
    outright loses at most the last fraction of a second of reading records; changes are
    never batched (`record`). If the batches cannot be written (records have waited for
    more than STALE_AFTER batch intervals), each read is recorded at once again, so a
    database that refuses the records refuses the pages too, as without batches."""
    app = current_app._get_current_object()
    interval = app.config.get("COREGROUP_AUDIT_READ_BATCH_SECONDS") or 0
    reads = _reads_of(app, interval) if interval > 0 else None
    if reads is None or reads.stale(interval):
        record_now(action, target, user_id, case_id, durable=False)
        return
    with reads.lock:
        reads.pending.append(_event(action, target, user_id, case_id))


STALE_AFTER = 10  # batch intervals


class _Reads:
    """The reading records of one app in this process, and the thread that writes them."""

    def __init__(self, app, interval: float) -> None:
        self.app = app
        self.pid = os.getpid()
        self.lock = threading.Lock()  # guards `pending`
        self.flushing = threading.Lock()  # one batch written at a time (thread or exit)
        self.pending: list[dict] = []
        thread = threading.Thread(
            target=_flush_now_and_then, args=(self, interval), name="audit-reads", daemon=True
        )
        thread.start()
        atexit.register(_flush_at_exit, self)

    def stale(self, interval: float) -> bool:
        with self.lock:
            oldest = self.pending[0]["at"] if self.pending else None
        return oldest is not None and (utcnow() - oldest).total_seconds() > STALE_AFTER * interval


_registry_lock = threading.Lock()
_registry: dict[int, _Reads] = {}  # by id(app), in this process


def _reads_of(app, interval: float) -> _Reads:
    with _registry_lock:
        found = _registry.get(id(app))
        if found is None or found.app is not app:
            found = _registry[id(app)] = _Reads(app, interval)
        return found


def _forget_after_fork() -> None:
    """A forked child starts with none of its parent's records, threads or (held) locks."""
    global _registry_lock, _registry
    _registry_lock, _registry = threading.Lock(), {}


os.register_at_fork(after_in_child=_forget_after_fork)
log = logging.getLogger(__name__)


def flush_reads(app=None) -> int:
    """Append the reading records waiting in this process for `app`; how many there were."""
    app = app or current_app._get_current_object()
    with _registry_lock:
        reads = _registry.get(id(app))
    return _flush(reads) if reads is not None and reads.app is app else 0


def _flush(reads: _Reads) -> int:
    with reads.flushing:
        with reads.lock:
            batch, reads.pending = reads.pending, []
        if not batch:
            return 0
        try:
            with reads.app.app_context(), writing(durable=False):
                _append(batch)
        except Exception:
            with reads.lock:  # kept for the next try, in their order
                reads.pending[:0] = batch
            raise
        return len(batch)


def _flush_now_and_then(reads: _Reads, interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            _flush(reads)
        except Exception:  # e.g. the database is down for a moment: try again later
            log.exception("reading records not written yet; will try again")


def _flush_at_exit(reads: _Reads) -> None:
    if reads.pid != os.getpid():
        return  # registered by a parent before a fork: its records are the parent's to write
    try:
        _flush(reads)
    except Exception:
        log.exception("%d reading records could not be written at exit", len(reads.pending))


def verify() -> tuple[int, int | None, str | None]:
    """Check the whole chain: (events checked, first broken event id, what is wrong)."""
    prev = GENESIS
    count = 0
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(500):
        count += 1
        if event.prev_hash != prev:
            return count, event.id, "it does not follow the event before it"
        found = _digest(
            event.prev_hash,
            event.at,
            event.user_id,
            event.case_id,
            event.action,
            event.target,
            event.ip,
        )
        if found != event.hash:
            return count, event.id, "its contents do not match its hash"
        prev = event.hash
    return count, None, None


def for_case(case_id: int, limit: int = 200) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def last_change_by_another(case_id: int, user_id: int, target: str) -> AuditEvent | None:
    """The latest change to `target` (e.g. "POST /cases/1/meetings/2/…") by someone else."""
    return db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.case_id == case_id,
            AuditEvent.action == "change",
            AuditEvent.target == target,
            AuditEvent.user_id != user_id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
