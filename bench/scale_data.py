"""A national-scale database for `make bench-scale`, bulk loaded (PostgreSQL: COPY through
psycopg's `cursor.copy()`; SQLite: `executemany` in one transaction), never through the ORM.

    from bench.scale_data import load
    info = load("postgresql+psycopg://postgres@127.0.0.1:5432/scale", 200, 400, 10)

Each case is realistic: 2 children (each with a ChildPlan; a closed case's plans ended by its
last review conference), 8 members (lead social worker, social worker, health visitor, teacher,
GP, police, 2 parents linked to both children), a plan with several versions valid against the
plan schema (the latest of an open case with needs and actions whose `byWhen` dates fall both
before and after today, some overdue), up to 3 completed meetings with their records and a
circulation to each member (the latest meeting of some open cases still missing a few), review
conferences where the dates call for them, a request for another conference now and then, and
`audit_per_case` audit events (reads and a few changes, spread over the life of the case) on the
case's own chain, with `audit_chain` holding each chain's length and head.

The audit hashes are DUMMIES (unique hex, each event's `prev_hash` the hash before it, the
chain's head the last one): the chain's shape (uq chain+seq, lengths, heads) is right, but
`flask audit verify` would report every loaded event as altered. Good enough for timing, which is
all this is for.

Calling `load()` again on the same database adds more cases after the ones there (ids continue),
so a benchmark can measure at a small size and then grow the same database. The readers (the
accounts a benchmark signs in as) are made by the first call only; their cases are open cases
spread through that call's id range.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

DOMAIN = "scale.example"
PASSWORDS = {
    "one": "scale reader with one case",
    "twenty": "scale reader with twenty cases",
    "chair": "scale chair with one hundred and fifty cases",
    "parent": "scale parent reading the family plan",
    "editor": "scale editor saving the plan",
}
CHAIR_CASES, TWENTY_CASES, EDITORS = 150, 20, 10
GENESIS = "0" * 64
SECRET_KEY = "scale-" + "k" * 40

COLUMNS = {
    "user": [
        "id",
        "email",
        "name",
        "password_hash",
        "is_admin",
        "active",
        "preferred_language",
        "created_at",
        "failed_logins",
        "locked_until",
        "totp_secret",
        "totp_last_step",
        "professional",
    ],
    "case": [
        "id",
        "uid",
        "reference",
        "jurisdiction",
        "initial_conference",
        "first_core_group_on",
        "core_group_every_weeks",
        "status",
        "closed_on",
        "legal_hold",
        "created_at",
    ],
    "child": [
        "id",
        "ref",
        "case_id",
        "name",
        "date_of_birth",
        "nhs_number",
        "local_id",
    ],
    "review_conference": [
        "id",
        "case_id",
        "held_on",
        "chair",
        "outcomes",
        "next_review_on",
        "recorded_by_id",
        "recorded_at",
    ],
    "child_plan": [
        "id",
        "child_id",
        "number",
        "categories",
        "initial_categories",
        "started_on",
        "ended_on",
        "end_reason",
        "ended_by_id",
    ],
    "member": [
        "id",
        "ref",
        "case_id",
        "user_id",
        "name",
        "role",
        "organisation",
        "email",
        "phone",
        "address",
        "confidential",
        "language",
        "joined_on",
        "co_opted",
        "wants_reminders",
    ],
    "member_child": ["member_id", "child_id"],
    "plan_version": [
        "id",
        "case_id",
        "number",
        "document",
        "schema_version",
        "author_id",
        "author_ref",
        "created_at",
        "changes",
        "note",
    ],
    "meeting": [
        "id",
        "case_id",
        "number",
        "kind",
        "status",
        "record",
        "reviewed_plan_number",
        "plan_number",
        "created_at",
        "completed_at",
        "completed_by_id",
        "completed_by_ref",
    ],
    "circulation": [
        "id",
        "meeting_id",
        "member_id",
        "method",
        "address",
        "sent_at",
        "sent_by_id",
        "sent_by_ref",
        "received_at",
        "agrees",
    ],
    "conference_request": [
        "id",
        "case_id",
        "requested_on",
        "meeting_number",
        "reason",
        "requested_by_id",
    ],
    "audit_chain": ["name", "length", "head"],
    "audit_event": [
        "id",
        "chain",
        "seq",
        "at",
        "user_id",
        "case_id",
        "action",
        "target",
        "ip",
        "content_hash",
        "prev_hash",
        "hash",
    ],
}
ORDER = list(COLUMNS)  # parents before children
WITH_ID = [t for t in ORDER if "id" in COLUMNS[t]]

FIRST = [
    "Amira",
    "Yusuf",
    "Olivia",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Oscar",
    "Mia",
    "Theo",
    "Freya",
    "Arlo",
    "Zara",
    "Kai",
    "Maya",
    "Ezra",
    "Ruby",
    "Finn",
    "Lily",
    "Jude",
]
LAST = [
    "Hassan",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Evans",
    "Khan",
    "Patel",
    "Mahy",
    "Murphy",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Ali",
    "Le-Page",
]
CATEGORIES = ["neglect", "emotional", "physical", "sexual"]
PROFESSIONALS = [
    # (role, organisation)
    ("lead-social-worker", "Children's Services"),
    ("social-worker", "Children's Services"),
    ("health-visitor", "Health Visiting Team"),
    ("teacher", "Primary School"),
    ("gp", "Surgery"),
    ("police", "Public Protection Unit"),
]
PLAN_KEYS = ["sam", "priya", "owen", "ruth", "layla", "daniel"]  # demo_plan's people
# Which member (by position) stands for each of demo_plan's people: lead, health visitor,
# teacher, GP, parent, parent.
PLAN_PEOPLE = {"sam": 0, "priya": 2, "owen": 3, "ruth": 4, "layla": 6, "daniel": 7}
READ_TARGETS = [
    "GET /cases/{c}",
    "GET /cases/{c}/plan",
    "GET /cases/{c}/plan/read",
    "GET /cases/{c}/meetings",
    "GET /cases/{c}/plan/needs",
    "GET /dashboard",
    "GET /cases",
    "GET /my-tasks",
    "GET /api/v1/cases/{c}/plan",
]


def nhs_number(n: int) -> str:
    """A 10-digit NHS number with a valid modulus 11 check digit (from 9 digits made of n)."""
    while True:
        digits = f"{(n * 7919 + 400000000) % 1000000000:09d}"
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)
        n += 1000003


class _Sink:
    """Where rows go: one table's rows at a time."""

    def __init__(self, url: str):
        self.url = url
        self.dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        if self.dialect == "postgresql":
            import psycopg

            plain = make_url(url).set(drivername="postgresql")
            self.conn = psycopg.connect(plain.render_as_string(hide_password=False))
            try:  # no foreign-key trigger per row: the rows are consistent by construction
                self.conn.execute("SET session_replication_role = replica")
            except Exception:  # noqa: BLE001 - not a superuser: load with the checks on
                self.conn.rollback()
            self.conn.execute("SET synchronous_commit = off")
        else:
            import sqlite3

            self.conn = sqlite3.connect(make_url(url).database, timeout=60)
            self.conn.execute("PRAGMA foreign_keys = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")

    def max_id(self, table: str) -> int:
        cur = self.conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')
        return cur.fetchone()[0]

    def scalar(self, sql: str, *args):
        sql = sql if self.dialect == "postgresql" else sql.replace("%s", "?")
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, *args) -> list:
        sql = sql if self.dialect == "postgresql" else sql.replace("%s", "?")
        return list(self.conn.execute(sql, args).fetchall())

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in COLUMNS[table])
        if self.dialect == "postgresql":
            with (
                self.conn.cursor() as cur,
                cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(COLUMNS[table]))
            self.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)

    def finish(self, analyze: bool = True) -> dict:
        """Commit, move the id sequences past the loaded ids, refresh the statistics."""
        timings = {}
        self.conn.commit()
        if self.dialect == "postgresql":
            for table in WITH_ID:
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'
                )
            self.conn.commit()
            if analyze:
                # VACUUM as well: the visibility map set (index-only scans), and autovacuum has
                # nothing left to do on the new rows while the pages are being measured.
                self.conn.autocommit = True
                started = time.perf_counter()
                self.conn.execute("VACUUM (ANALYZE)")
                timings["vacuum_analyze_s"] = time.perf_counter() - started
        elif analyze:
            started = time.perf_counter()
            self.conn.execute("ANALYZE")
            self.conn.commit()
            timings["analyze_s"] = time.perf_counter() - started
        self.conn.close()
        return timings


def _app(url: str):
    from coregroup import create_app

    instance = Path(tempfile.gettempdir()) / f"coregroup-scale-instance-{os.getuid()}"
    return create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY=SECRET_KEY,
        COREGROUP_SIGN_IN_LIMIT="100000 per minute",
    )


def ensure_schema(app) -> bool:
    """The schema by the Alembic migrations (`flask db upgrade`), unless it is there already.
    True if it was made now."""
    import flask_migrate
    from sqlalchemy import inspect

    from coregroup.extensions import db

    with app.app_context():
        if inspect(db.engine).has_table("case"):
            return False
        flask_migrate.upgrade()
        db.engine.dispose()
        return True


class _Loader:
    def __init__(
        self,
        sink: _Sink,
        rng: random.Random,
        today: dt.date,
        schema_version: str,
        meeting_version: str,
        audit_per_case: int,
    ):
        self.sink, self.rng, self.today = sink, rng, today
        self.schema_version, self.meeting_version = schema_version, meeting_version
        self.audit_per_case = audit_per_case
        self.next = {t: sink.max_id(t) + 1 for t in WITH_ID}
        self.rows: dict[str, list] = {t: [] for t in ORDER}
        self.now = dt.datetime.combine(today, dt.time(9))
        self.counts = dict.fromkeys(ORDER, 0)
        self.writer: threading.Thread | None = None
        self.failed: Exception | None = None

    def new_id(self, table: str) -> int:
        found = self.next[table]
        self.next[table] += 1
        return found

    def flush(self) -> None:
        """Send the rows made so far. PostgreSQL: a thread of its own writes them (COPY), so
        the server inserts one batch while this process makes the next."""
        batch = {table: self.rows[table] for table in ORDER}
        self.rows = {table: [] for table in ORDER}
        for table, rows in batch.items():
            self.counts[table] += len(rows)
        if self.sink.dialect != "postgresql":
            self._write(batch)
            return
        if self.writer is None:
            self.queue = queue.Queue(maxsize=2)
            self.writer = threading.Thread(target=self._writing, daemon=True)
            self.writer.start()
        if self.failed:
            raise self.failed
        self.queue.put(batch)

    def _write(self, batch: dict) -> None:
        for table in ORDER:
            self.sink.write(table, batch[table])

    def _writing(self) -> None:
        while (batch := self.queue.get()) is not None:
            try:
                if not self.failed:
                    self._write(batch)
            except Exception as error:  # noqa: BLE001 - raised again in the loading thread
                self.failed = error

    def done(self) -> None:
        """Wait for every batch to be written."""
        if self.writer is not None:
            self.queue.put(None)
            self.writer.join()
            self.writer = None
        if self.failed:
            raise self.failed

    def user(
        self,
        email: str,
        name: str,
        password_hash: str,
        professional: bool,
        totp_secret: str | None = None,
    ) -> int:
        user_id = self.new_id("user")
        self.rows["user"].append(
            (
                user_id,
                email,
                name,
                password_hash,
                False,
                True,
                None,
                self.now,
                0,
                None,
                totp_secret,
                None,
                professional,
            )
        )
        return user_id

    # --- One case -------------------------------------------------------------------------

    def case(self, closed: bool, pool: list[int], pool_hash: str, extras=(), parent_user=None):
        """All the rows of one case. `extras`: (user id, role, name) of more members (the
        benchmark's readers); `parent_user`: the first parent's account."""
        rng, today = self.rng, self.today
        case_id = self.new_id("case")
        if closed:
            conference = today - dt.timedelta(days=rng.randint(300, 3650))
        else:
            conference = today - dt.timedelta(days=rng.randint(30, 130))
        first_cg = conference + dt.timedelta(days=rng.randint(5, 9))
        every = 4
        meeting_days = [first_cg + dt.timedelta(weeks=every * k) for k in range(3)]
        meeting_days = [d for d in meeting_days if d < today]
        review_1 = conference + dt.timedelta(days=91)
        reviews = [review_1] if review_1 < today else []
        ends_at_second = closed and rng.random() < 0.5
        if ends_at_second:
            reviews.append(review_1 + dt.timedelta(days=182))
        closed_on = reviews[-1] if closed else None
        family = rng.choice(LAST)
        self.rows["case"].append(
            (
                case_id,
                str(uuid.UUID(int=(self.seed_bits << 64) | case_id, version=4)),
                f"SCALE-{case_id:07d}",
                "england",
                conference,
                first_cg,
                every,
                "closed" if closed else "open",
                closed_on,
                False,
                dt.datetime.combine(conference, dt.time(15)),
            )
        )
        # Children, each with their plan.
        children = []
        categories = rng.sample(CATEGORIES, rng.choice((1, 1, 2)))
        for n in range(2):
            child_id = self.new_id("child")
            ref = f"c-s{child_id:x}"
            born = today - dt.timedelta(days=rng.randint(200, 5800))
            children.append((child_id, ref))
            self.rows["child"].append(
                (
                    child_id,
                    ref,
                    case_id,
                    f"{FIRST[(case_id + n * 7) % len(FIRST)]} {family}",
                    born,
                    nhs_number(child_id),
                    f"LA{child_id:09d}",
                )
            )
        # Members: six professionals, two parents, and any extra.
        members = []  # (member id, ref, user id, role, is family)
        used_users = set()
        for k, (role, organisation) in enumerate(PROFESSIONALS):
            user_id = pool[(case_id * 7 + k) % len(pool)]
            used_users.add(user_id)
            members.append((role, organisation, user_id, f"{FIRST[(case_id + k) % 20]} Pro{k}"))
        members.append(("parent", None, parent_user, f"{FIRST[case_id % 20]} {family}"))
        members.append(("parent", None, None, f"{FIRST[(case_id + 3) % 20]} {family}"))
        for user_id, role, name in extras:
            if user_id in used_users:  # the pool gave them this case already: take that place
                members = [m if m[2] != user_id else (m[0], m[1], None, m[3]) for m in members]
            members.append((role, "Children's Services", user_id, name))
        ids = []
        for role, organisation, user_id, name in members:
            member_id = self.new_id("member")
            ref = f"m-s{member_id:x}"
            family_member = role == "parent"
            self.rows["member"].append(
                (
                    member_id,
                    ref,
                    case_id,
                    user_id,
                    name,
                    role,
                    organisation,
                    f"{ref}@people.{DOMAIN}",
                    "01632 960000",
                    None,
                    False,
                    "en",
                    conference,
                    False,
                    True,
                )
            )
            ids.append((member_id, ref, user_id, role))
            if family_member:
                for child_id, _ref in children:
                    self.rows["member_child"].append((member_id, child_id))
        lead = ids[0]
        refs = {key: ids[position][1] for key, position in PLAN_PEOPLE.items()}
        # Review conferences (the last of a closed case ends both plans).
        review_ids = []
        for n, held in enumerate(reviews):
            review_id = self.new_id("review_conference")
            review_ids.append(review_id)
            ending = closed and n == len(reviews) - 1
            outcomes = {
                ref: {"outcome": "end", "reason": "no-longer-at-risk"}
                if ending
                else {"outcome": "continue", "categories": categories}
                for _id, ref in children
            }
            self.rows["review_conference"].append(
                (
                    review_id,
                    case_id,
                    held,
                    "Conference Chair",
                    json.dumps(outcomes),
                    None if ending else held + dt.timedelta(days=182),
                    lead[2],
                    dt.datetime.combine(held, dt.time(16)),
                )
            )
        for child_id, _ref in children:
            self.rows["child_plan"].append(
                (
                    self.new_id("child_plan"),
                    child_id,
                    1,
                    json.dumps(categories),
                    json.dumps(categories),
                    conference,
                    closed_on,
                    "no-longer-at-risk" if closed else None,
                    review_ids[-1] if closed else None,
                )
            )
        # The plan: versions after the conference and after each meeting.
        version_days = [conference] + meeting_days
        versions = len(version_days) + (1 if not closed else 0)
        if not closed:  # the latest, saved a few days ago
            version_days.append(max(version_days[-1], today - dt.timedelta(days=rng.randint(1, 9))))
        plan = None
        for number in range(1, versions + 1):
            plan = self.plan(refs, conference, number, versions, closed, children)
            at = dt.datetime.combine(version_days[number - 1], dt.time(11, number % 60))
            author = ids[rng.choice((0, 0, 1, 2, 3))]
            changes = [{"op": "replace", "path": "/aims"}] if number > 1 else []
            self.rows["plan_version"].append(
                (
                    self.new_id("plan_version"),
                    case_id,
                    number,
                    json.dumps(plan),
                    self.schema_version,
                    author[2],
                    author[1],
                    at,
                    json.dumps(changes),
                    "Agreed at the initial conference" if number == 1 else None,
                )
            )
        # Meetings, each with its record and circulation.
        for n, held in enumerate(meeting_days, start=1):
            meeting_id = self.new_id("meeting")
            kind = "first" if n == 1 else "subsequent"
            if n == 3 and (reviews or review_1 - held <= dt.timedelta(weeks=6)):
                kind = "last-before-review"
            record = self.meeting_record(kind, held, ids, plan, n)
            completed = dt.datetime.combine(held, dt.time(12))
            self.rows["meeting"].append(
                (
                    meeting_id,
                    case_id,
                    n,
                    kind,
                    "completed",
                    json.dumps(record),
                    n,
                    n + 1,
                    dt.datetime.combine(held, dt.time(9, 30)),
                    completed,
                    lead[2],
                    lead[1],
                )
            )
            last = n == len(meeting_days)
            missing = 2 if (not closed and last and rng.random() < 0.25) else 0
            for k, (member_id, ref, _user, role) in enumerate(ids):
                if missing and k >= len(ids) - missing:
                    continue
                family_member = role == "parent"
                received = held + dt.timedelta(days=rng.randint(1, 6))
                self.rows["circulation"].append(
                    (
                        self.new_id("circulation"),
                        meeting_id,
                        member_id,
                        "by hand" if family_member and k % 2 else "email",
                        None if family_member and k % 2 else f"{ref}@people.{DOMAIN}",
                        dt.datetime.combine(held + dt.timedelta(days=1), dt.time(10)),
                        lead[2],
                        lead[1],
                        dt.datetime.combine(received, dt.time(18)) if family_member else None,
                        True if family_member else None,
                    )
                )
        if not closed and meeting_days and rng.random() < 0.05:
            self.rows["conference_request"].append(
                (
                    self.new_id("conference_request"),
                    case_id,
                    meeting_days[-1],
                    len(meeting_days),
                    "Part of the plan cannot be carried out.",
                    lead[2],
                )
            )
        self.audit(case_id, conference, closed_on or today, ids)
        return case_id

    def plan(self, refs, conference, number, versions, closed, children) -> dict:
        """demo_plan's document with this case's people and dates; the latest version of an
        open case carries actions past and to come, some done, some overdue."""
        from coregroup.demo import demo_plan

        plan = demo_plan(refs, conference, self.schema_version)
        plan["aims"] = f"{plan['aims']} (version {number})"
        plan["concerns"]["categories"] = plan["concerns"]["categories"][: 1 + number % 2]
        rng, today = self.rng, self.today
        last = number == versions
        for n, need in enumerate(plan["needs"]):
            for action in need["actions"]:
                if number > 1:
                    action["status"] = "done" if rng.random() < 0.7 else "in-progress"
            if number > 1:  # each review adds an action to each need
                due = conference + dt.timedelta(days=28 * number + 7 * n)
                if last and not closed:
                    due = today + dt.timedelta(days=rng.randint(-15, 60))
                    due = max(due, conference)
                need["actions"].append(
                    {
                        "id": f"act-v{number}-{n}",
                        "what": f"Review step {number} for this need.",
                        "who": [refs["sam"], refs["layla"]],
                        "children": [children[n % 2][1]],
                        "byWhen": due.isoformat(),
                        "status": rng.choice(("not-started", "in-progress", "in-progress")),
                    }
                )
        if closed and last:
            for need in plan["needs"]:
                for action in need["actions"]:
                    action["status"] = "done"
        return plan

    def meeting_record(self, kind, held, ids, plan, number) -> dict:
        refs = [ref for _id, ref, _user, _role in ids]
        present = refs[:4] + refs[6:8]
        record = {
            "schemaVersion": self.meeting_version,
            "kind": kind,
            "date": held.isoformat(),
            "time": "10:00",
            "location": "Family centre",
            "chair": refs[2],
            "minuteTaker": refs[3],
            "present": present,
            "apologies": [refs[4]],
            "scores": {
                ref: {"score": self.rng.randint(2, 8), "reason": "Some progress since last time."}
                for ref in present
            },
            "evidenceOfChange": "yes",
            "writtenUpdates": {refs[4]: {"update": "Appointments offered and kept."}},
            "nextMeeting": {
                "date": (held + dt.timedelta(weeks=4)).isoformat(),
                "time": "10:00",
                "location": "Family centre",
            },
        }
        if kind == "first":
            record["rolesConfirmed"] = "yes"
            record["explained"] = ["causes", "change", "contingency"]
        else:
            record["needsReview"] = {
                need["id"]: {"progress": "on-track", "comment": "Going to plan."}
                for need in plan["needs"]
            }
            record["riskAnalysis"] = "The risk is lower than at the conference."
        if kind == "last-before-review":
            record["recommendations"] = {
                ref: {"recommendation": "remain", "reason": "More time needed."} for ref in present
            }
            record["groupRecommendation"] = {"recommendation": "remain", "reason": "Not yet."}
        return record

    def audit(self, case_id, start: dt.date, end: dt.date, ids) -> None:
        """`audit_per_case` events on the case's chain, from its start to its end (or today)."""
        count = self.audit_per_case
        if count <= 0:
            return
        rng = self.rng
        users = [user for _id, _ref, user, _role in ids if user is not None] or [None]
        begin = dt.datetime.combine(start, dt.time(8)).timestamp()
        span = max(dt.datetime.combine(end, dt.time(18)).timestamp() - begin, 3600.0)
        offsets = sorted(rng.random() * span for _n in range(count))
        chain = f"case/{case_id}"
        prev = GENESIS
        rows = self.rows["audit_event"]
        fromtimestamp = dt.datetime.fromtimestamp
        targets = [t.replace("{c}", str(case_id)) for t in READ_TARGETS]
        ip = f"10.{case_id % 250}.{case_id // 250 % 250}.{case_id % 7 + 1}"
        for seq, offset in enumerate(offsets, start=1):
            event_id = self.new_id("audit_event")
            digest = f"{event_id:064x}"
            roll = rng.random()
            if roll < 0.9:
                action, target = "view", targets[int(roll * 100) % len(targets)]
            elif roll < 0.97:
                action, target = "change", f"POST /cases/{case_id}/plan/needs/need-health"
            else:
                action, target = "export", f"GET /api/v1/cases/{case_id}/plan (token 1)"
            rows.append(
                (
                    event_id,
                    chain,
                    seq,
                    fromtimestamp(begin + offset),
                    users[seq % len(users)],
                    case_id,
                    action,
                    target,
                    ip,
                    GENESIS,
                    prev,
                    digest,
                )
            )
            prev = digest
        self.rows["audit_chain"].append((chain, count, prev))


def _readers_from_db(sink: _Sink) -> dict:
    """The readers' accounts and their cases, as the database holds them."""
    found = {}
    for key in ("one", "twenty", "chair", "parent") + tuple(f"editor{n}" for n in range(EDITORS)):
        email = f"{key}@{DOMAIN}"
        row = sink.rows('SELECT id, totp_secret FROM "user" WHERE email = %s', email)
        if not row:
            return {}
        user_id, secret = row[0]
        cases = [
            r[0]
            for r in sink.rows(
                "SELECT case_id FROM member WHERE user_id = %s ORDER BY case_id", user_id
            )
        ]
        found[key] = {
            "id": user_id,
            "email": email,
            "password": PASSWORDS["editor" if key.startswith("editor") else key],
            "totp_secret": secret,
            "cases": cases,
        }
    return found


def _spread(count: int, among: int, shift: float = 0.5) -> list[int]:
    """`count` distinct indexes spread evenly through range(among)."""
    count = min(count, among)
    return sorted({min(among - 1, int((k + shift) * among / count)) for k in range(count)})


def load(
    database_url: str,
    open_cases: int,
    closed_cases: int,
    audit_per_case: int = 40,
    seed: int = 0,
    *,
    analyze: bool = True,
    batch: int = 1000,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Add `open_cases` open and `closed_cases` closed cases (with `audit_per_case` audit events
    each) to the database at `database_url` (made by the migrations if empty). Returns the
    readers ({"one", "twenty", "chair", "parent", "editor0".."editor9"}: id, email, password,
    totp_secret, cases), some case ids ("chair_case", "parent_case", "editor_shared_case",
    "editor_cases"), the row counts written and the seconds taken."""
    import pyotp

    from coregroup.auth import hash_password
    from coregroup.plans.services import plan_schema

    log = log or (lambda _text: None)
    started = time.perf_counter()
    app = _app(database_url)
    made = ensure_schema(app)
    with app.app_context():
        schemas = app.extensions["coregroup.schemas"]
        schema_version = plan_schema().version
        meeting_version = schemas["core-group-meeting"].version
        pool_hash = hash_password(f"unused {seed} {random.random()}")
        reader_hashes = {key: hash_password(pw) for key, pw in PASSWORDS.items()}
    sink = _Sink(database_url)
    rng = random.Random(seed * 1000003 + sink.max_id("case"))
    today = dt.date.today()
    loader = _Loader(sink, rng, today, schema_version, meeting_version, audit_per_case)
    loader.seed_bits = (seed & 0xFFFF) + 1
    readers = _readers_from_db(sink)
    # Professionals' accounts: a pool the members are drawn from (~18 cases each).
    total = open_cases + closed_cases
    first_pool_id = loader.next["user"]
    pool = [
        loader.user(f"pro-{first_pool_id + n}@{DOMAIN}", f"Professional {n}", pool_hash, True)
        for n in range(max(12, total // 3))
    ]
    extras: dict[int, list] = {}  # open case index -> extra members
    parent_of: dict[int, int] = {}  # open case index -> the first parent's account
    if not readers:
        secrets = {}

        def reader(key: str, name: str, professional: bool, hash_key: str) -> int:
            secret = pyotp.random_base32() if professional else None
            secrets[key] = secret
            return loader.user(
                f"{key}@{DOMAIN}", name, reader_hashes[hash_key], professional, secret
            )

        one = reader("one", "Reader One Case", True, "one")
        twenty = reader("twenty", "Reader Twenty Cases", True, "twenty")
        chair = reader("chair", "Chair Of Conferences", True, "chair")
        parent = reader("parent", "Parent Reader", False, "parent")
        editors = [reader(f"editor{n}", f"Editor {n}", True, "editor") for n in range(EDITORS)]
        n = open_cases
        for index in _spread(CHAIR_CASES, n, 0.37):
            extras.setdefault(index, []).append((chair, "other-professional", "Conference Chair"))
        for index in _spread(TWENTY_CASES, n, 0.61):
            extras.setdefault(index, []).append((twenty, "social-worker", "Reader Twenty"))
        extras.setdefault(n // 2, []).append((one, "social-worker", "Reader One"))
        parent_of[n // 3] = parent
        shared = (n * 2) // 5
        for editor in editors:
            extras.setdefault(shared, []).append((editor, "social-worker", "Editor"))
        for k, index in enumerate(_spread(EDITORS, n, 0.83)):
            if index == shared:
                index = (index + 1) % n
            extras.setdefault(index, []).append((editors[k], "teacher", "Editor"))
    # Open and closed cases interleaved, so both are spread through the id range.
    kinds = [False] * open_cases + [True] * closed_cases
    if open_cases and closed_cases:
        kinds = []
        ratio = closed_cases / open_cases
        o = c = 0
        while o < open_cases or c < closed_cases:
            if o < open_cases and (c >= closed_cases or c >= o * ratio):
                kinds.append(False)
                o += 1
            else:
                kinds.append(True)
                c += 1
    open_index = 0
    for done, closed in enumerate(kinds, start=1):
        if closed:
            loader.case(True, pool, pool_hash)
        else:
            parent_user = parent_of.get(open_index)
            if parent_user is None and open_index % 3 == 0:
                parent_user = loader.user(
                    f"parent-{loader.next['case']}@{DOMAIN}", "A Parent", pool_hash, False
                )
            loader.case(False, pool, pool_hash, extras.get(open_index, ()), parent_user)
            open_index += 1
        if done % batch == 0:
            loader.flush()
            if done % (batch * 20) == 0:
                log(f"  {done:,} of {len(kinds):,} cases written")
    loader.flush()
    loader.done()
    copy_seconds = time.perf_counter() - started
    timings = sink.finish(analyze=analyze)
    due_items_seconds = write_due_items(database_url)
    check = _Sink(database_url)
    readers = readers or _readers_from_db(check)
    chair_case = readers["chair"]["cases"][len(readers["chair"]["cases"]) // 2]
    info = {
        "readers": readers,
        "chair_case": chair_case,
        "parent_case": readers["parent"]["cases"][0],
        "one_case": readers["one"]["cases"][0],
        "editor_shared_case": _shared(readers),
        "editor_cases": [
            next(c for c in readers[f"editor{n}"]["cases"] if c != _shared(readers))
            for n in range(EDITORS)
        ],
        "cases": {
            "open": check.scalar("SELECT count(*) FROM \"case\" WHERE status = 'open'"),
            "closed": check.scalar("SELECT count(*) FROM \"case\" WHERE status = 'closed'"),
        },
        "rows_written": loader.counts,
        "audit_events": check.scalar("SELECT count(*) FROM audit_event"),
        "schema_made": made,
        "copy_seconds": copy_seconds,
        "due_items_seconds": due_items_seconds,
        **timings,
        "seconds": time.perf_counter() - started,
    }
    check.conn.close()
    return info


def write_due_items(database_url: str) -> float:
    """Every case's due items, tasks and dates (coregroup.dueitems), as the app keeps them when
    cases are written through it: rows loaded by COPY bypass it. Its seconds."""
    from coregroup import dueitems
    from coregroup.extensions import db

    app = _app(database_url)
    started = time.perf_counter()
    with app.app_context():
        dueitems.rebuild()
        db.session.commit()
        if database_url.startswith("postgresql"):
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE due_item, task_item, case_dates")
                connection.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def _shared(readers: dict) -> int:
    common = set(readers["editor0"]["cases"])
    for n in range(1, EDITORS):
        common &= set(readers[f"editor{n}"]["cases"])
    return min(common)


def validate_sample(database_url: str, cases: int = 3) -> list[str]:
    """Problems with the latest plan and the meeting records of a few loaded cases, checked
    against their schemas (empty when they are valid)."""
    from sqlalchemy import select

    from coregroup.extensions import db
    from coregroup.models import Meeting, PlanVersion
    from coregroup.plans.services import plan_errors

    app = _app(database_url)
    problems = []
    with app.app_context():
        meeting_schema = app.extensions["coregroup.schemas"]["core-group-meeting"]
        versions = db.session.scalars(
            select(PlanVersion).order_by(PlanVersion.id.desc()).limit(cases * 4)
        ).all()
        for version in versions:
            problems += [
                f"plan {version.case_id}/{version.number}: {e}"
                for e in plan_errors(version.document)
            ]
        for meeting in db.session.scalars(select(Meeting).limit(cases * 3)):
            problems += [
                f"meeting {meeting.case_id}/{meeting.number}: {e}"
                for e in meeting_schema.errors(meeting.record)
            ]
        db.engine.dispose()
    return problems
