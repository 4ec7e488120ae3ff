"""Writes a request makes only as bookkeeping (when a session was last seen, who is on which
page, when a token was last used): queued, and run in the request's commit beside its audit
records, never in the middle of a page that only reads. On SQLite that lets such a page read
without the write lock and take it only for the moment its records are written."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from coregroup.extensions import db

_LATER = "coregroup.later"


def writes(view):
    """Mark a GET view that writes more than records (its SQLite transaction takes the write
    lock from the start)."""
    view.writes = True
    return view


def later(statement) -> None:
    """Run `statement` (an UPDATE or upsert) when the request's unit of work commits."""
    db.session.info.setdefault(_LATER, []).append(statement)


def take(session: Session) -> dict:
    """What is queued for the commit, taken out (to survive ending a read transaction)."""
    from coregroup import audit

    return {key: session.info.pop(key) for key in (_LATER, audit.PENDING) if key in session.info}


def give(session: Session, queued: dict) -> None:
    session.info.update(queued)


@event.listens_for(Session, "before_commit")
def _run_later(session: Session) -> None:
    for statement in session.info.pop(_LATER, []):
        session.execute(statement)


@event.listens_for(Session, "after_transaction_end")
def _drop_later(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LATER, None)
