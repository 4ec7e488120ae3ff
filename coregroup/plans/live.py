"""Live updates by conditional polling: the latest version and who is on which section.

Polling, not server-sent events: under gunicorn's sync workers a held-open stream ties up a
worker per watcher, while a poll answered 304 costs two small queries and no rendering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from coregroup import unitofwork
from coregroup.extensions import db
from coregroup.i18n import gettext as _
from coregroup.models import Presence, utcnow
from coregroup.plans import services

FRESH = dt.timedelta(seconds=60)  # shown as present for this long after their last poll
REFRESH = dt.timedelta(seconds=15)  # how stale a presence row gets before it is written again


def touch(case, user, section: str | None) -> None:
    """Note that this person has the plan open at `section` (written at most every 15 s)."""
    now = utcnow()
    found = db.session.scalar(
        select(Presence).where(Presence.case_id == case.id, Presence.user_id == user.id)
    )
    if found and found.section == section and now - found.seen_at < REFRESH:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    unitofwork.later(
        dialect.insert(Presence)
        .values(case_id=case.id, user_id=user.id, section=section, seen_at=now)
        .on_conflict_do_update(
            index_elements=["case_id", "user_id"], set_={"section": section, "seen_at": now}
        )
    )


def state(case, user, flow) -> dict:
    """What a watcher needs: the latest version, and the others present and where."""
    latest = services.latest_version(case)
    cutoff = utcnow() - FRESH
    rows = db.session.execute(
        select(Presence).where(
            Presence.case_id == case.id, Presence.user_id != user.id, Presence.seen_at >= cutoff
        )
    ).scalars()
    members = {m.user_id: m for m in case.members}
    viewer = members.get(user.id)
    titles = {s.id: s.title for s in flow.sections}
    others = sorted(
        (
            {
                "name": members[p.user_id].name,
                "role": members[p.user_id].role_label,
                # A section the viewer's own flow does not have is not named to them.
                "section": p.section if p.section in titles else None,
                "sectionTitle": _(titles[p.section]) if p.section in titles else None,
            }
            for p in rows
            if p.user_id in members
            # A family member is not told what another family member is doing: each writes
            # their own views, kept apart (and one may be confidential to the other).
            and not (viewer is not None and viewer.is_family and members[p.user_id].is_family)
        ),
        key=lambda o: o["name"],
    )
    return {
        "version": latest.number if latest else 0,
        "savedBy": latest.author.name if latest and latest.author else None,
        "others": others,
    }


def tag(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
