"""The audit trail: who viewed or changed what, when and from where, chained by hash.

`record()` adds an event to the session's unit of work; the events are chained and written just
before that unit commits (the request's end), so a change and its record commit together, and a
page is not sent until the record of its reading has committed.

Each case has its own chain (events with no case go on their person's chain, or on "system"),
so appends to different cases never wait for one another; within a chain, PostgreSQL orders
appends by a row lock on the chain's head (`audit_chain`), taken only for the moment of the
commit. An event's hash covers a hash of its content, not the content, so a later retention
step can remove what an event says about a closed case and the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import String, bindparam, cast, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coregroup.extensions import db
from coregroup.models import AuditChain, AuditEvent, Case, utcnow

GENESIS = "0" * 64
# The action of an event whose content was removed (retention): its place in the chain is still
# checked, its content no longer can be. Accepted only as retention leaves it: nothing left but
# the case it was about, and that case closed.
ERASED = "erased"
PENDING = "coregroup.audit.pending"
WROTE = "coregroup.audit.wrote"  # set when a commit wrote events (a checkpoint may be due)


def record(action: str, target: str, user_id: int | None = None, case_id: int | None = None):
    """Add an event to the current unit of work: written when it commits, dropped if it rolls
    back."""
    db.session.info.setdefault(PENDING, []).append(
        {
            "at": utcnow(),
            "user_id": user_id,
            "case_id": case_id,
            "action": action,
            "target": target[:500],
            "ip": client_address() if has_request_context() else None,
        }
    )


def record_each(action: str, target: str, user_id: int | None, case_ids) -> None:
    """A page or export that shows several cases: one event on each case's own chain, so each
    case's audit names everyone who saw it, whatever the page."""
    for case_id in case_ids:
        record(action, target, user_id, case_id)


def client_address() -> str | None:
    """The client's address as an address (a proxy's X-Forwarded-For can say anything)."""
    try:
        return str(ipaddress.ip_address(request.remote_addr or ""))
    except ValueError:
        return None


def chain_of(event: dict) -> str:
    if event["case_id"] is not None:
        return f"case/{event['case_id']}"
    if event["user_id"] is not None:
        return f"user/{event['user_id']}"
    return "system"


def content_hash(at, user_id, case_id, action, target, ip) -> str:
    body = json.dumps(
        [at.isoformat(timespec="microseconds"), user_id, case_id, action, target, ip],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def link_hash(chain: str, seq: int, prev_hash: str, content: str) -> str:
    body = json.dumps([chain, seq, prev_hash, content], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    events = session.info.pop(PENDING, None)
    if events:
        _append(session, events)
        session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    """A unit of work that ended without committing takes its events with it."""
    if transaction.parent is None:  # the unit of work as a whole, not a savepoint
        session.info.pop(PENDING, None)


def _append(session: Session, events: list[dict]) -> None:
    """Chain `events` to the ends of their chains, in four statements however many events and
    chains (a page showing eight cases records on eight chains): the chains made if new, their
    rows locked in name order (so two commits never wait for each other in a circle), one
    INSERT of all the events, one UPDATE of the chains' ends."""
    by_chain: dict[str, list[dict]] = {}
    for found in events:
        by_chain.setdefault(chain_of(found), []).append(found)
    ends = _lock_chains(session, sorted(by_chain))
    rows, moved = [], []
    for chain, chained in by_chain.items():
        length, prev = ends[chain]
        for found in chained:
            length += 1
            content = content_hash(**found)
            digest = link_hash(chain, length, prev, content)
            rows.append(
                {**found, "chain": chain, "seq": length, "content_hash": content}
                | {"prev_hash": prev, "hash": digest}
            )
            prev = digest
        moved.append({"name": chain, "length": length, "head": prev})
    session.execute(AuditEvent.__table__.insert(), rows)
    session.execute(
        AuditChain.__table__.update()
        .where(AuditChain.name == bindparam("chain"))
        .values(length=bindparam("new_length"), head=bindparam("new_head")),
        [{"chain": m["name"], "new_length": m["length"], "new_head": m["head"]} for m in moved],
    )


def _lock_chains(session: Session, chains: list[str]) -> dict[str, tuple[int, str]]:
    """Each chain's length and head, its row locked until the commit (made if new)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(AuditChain)
        .values([{"name": chain, "length": 0, "head": GENESIS} for chain in chains])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    found = session.execute(
        select(AuditChain.name, AuditChain.length, AuditChain.head)
        .where(AuditChain.name.in_(chains))
        .order_by(AuditChain.name)
        .with_for_update()
    )
    return {row.name: (row.length, row.head) for row in found}


# --- Checking the chains ---------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    event_id: int | None
    chain: str
    why: str


def heads() -> dict[str, tuple[int, str]]:
    """Every chain's length and last hash, as the database holds them now."""
    return {
        row.name: (row.length, row.head)
        for row in db.session.execute(select(AuditChain.name, AuditChain.length, AuditChain.head))
    }


@dataclass
class Verified:
    count: int  # events checked
    broken: list[Broken]
    ends: dict[str, tuple[int, str]]  # each chain's end, as found by walking it
    erased: int  # events whose content was removed


def verify_chains() -> Verified:
    """Check every chain from its start."""
    count = erased = 0
    closed = set(db.session.scalars(select(Case.id).where(Case.status == "closed")))
    broken: list[Broken] = []
    ends: dict[str, tuple[int, str]] = {}
    bad_chains: set[str] = set()
    # Rows as stored, the time as text: a row edited to hold anything must be named, not crash.
    columns = [c for c in AuditEvent.__table__.c if c.name != "at"]
    query = (
        select(*columns, cast(AuditEvent.at, String).label("at"))
        .order_by(AuditEvent.chain, AuditEvent.seq, AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for found in db.session.execute(query):
        count += 1
        if found.chain in bad_chains:
            continue
        length, prev = ends.get(found.chain, (0, GENESIS))
        why = None
        if found.chain != chain_of(found._mapping):
            why = "it is on another case's or person's chain"
        elif found.seq != length + 1:
            why = f"events before it are missing (expected number {length + 1}, found {found.seq})"
        elif found.prev_hash != prev:
            why = "it does not follow the event before it"
        elif found.action == ERASED and not _erased_by_retention(found, closed):
            why = "it is marked erased, but not as retention erases (an open case, or content left)"
        elif found.action != ERASED and found.content_hash != _content_of(found):
            why = "its contents do not match its hash"
        elif found.hash != link_hash(found.chain, found.seq, found.prev_hash, found.content_hash):
            why = "its hash is not the hash of its place in the chain"
        if why:
            broken.append(Broken(found.id, found.chain, why))
            bad_chains.add(found.chain)
            continue
        ends[found.chain] = (found.seq, found.hash)
        erased += found.action == ERASED
    for chain, (length, head) in heads().items():
        if chain not in bad_chains and ends.get(chain, (0, GENESIS)) != (length, head):
            broken.append(Broken(None, chain, "its recorded end is not where the chain ends"))
    return Verified(count, broken, ends, erased)


def _content_of(found) -> str | None:
    try:
        at = dt.datetime.fromisoformat(found.at)
        return content_hash(at, found.user_id, found.case_id, found.action, found.target, found.ip)
    except (AttributeError, TypeError, ValueError):  # e.g. a time that is not a time
        return None


def _erased_by_retention(found, closed: set[int]) -> bool:
    return (
        found.case_id in closed
        and found.target == ""
        and found.ip is None
        and found.user_id is None
    )


def for_case(case_id: int, limit: int = 200, actions=None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_id == case_id)
    if actions is not None:
        query = query.where(AuditEvent.action.in_(list(actions)))
    # Newest first, in the chain's own order, which its hashes fix.
    return list(db.session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit)))


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
