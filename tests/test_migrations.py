"""Migrations build the whole database from empty, and match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from coregroup import create_app
from coregroup.extensions import db


def test_migrations_build_the_models_from_empty(database_uri):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert diff == [], f"the models and the migrations differ: {diff}"
            if db.engine.dialect.name == "sqlite":
                mode = connection.execute(text("PRAGMA journal_mode")).scalar()
                assert mode == "wal"
        db.engine.dispose()


def test_events_chained_before_0008_are_checked_and_moved_onto_their_chains(database_uri):
    """The upgrade re-chains the trail per case only if the old single chain checks out."""
    import datetime as dt
    import hashlib
    import json

    from coregroup import audit

    def old_digest(prev, at, user_id, case_id, action, target, ip):
        body = json.dumps(
            [prev, at.isoformat(timespec="microseconds"), user_id, case_id, action, target, ip],
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        upgrade(revision="0007")
        prev = "0" * 64
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    'INSERT INTO "case" (id, reference, jurisdiction, status, created_at) '
                    "VALUES (1, 'C-1', 'guernsey', 'open', '2026-12-01 10:00:00')"
                )
            )
            for n, case_id in enumerate([1, None, 1]):
                at = dt.datetime(2026, 12, 1, 10, n)
                digest = old_digest(prev, at, None, case_id, "view", f"page {n}", "10.0.0.1")
                connection.execute(
                    text(
                        "INSERT INTO audit_event (at, user_id, case_id, action, target, ip, "
                        "prev_hash, hash) VALUES (:at, NULL, :case_id, 'view', :target, "
                        "'10.0.0.1', :prev, :hash)"
                    ),
                    {
                        "at": at,
                        "case_id": case_id,
                        "target": f"page {n}",
                        "prev": prev,
                        "hash": digest,
                    },
                )
                prev = digest
        upgrade()
        verified = audit.verify_chains()
        assert verified.broken == [] and verified.count == 3
        assert verified.ends["case/1"][0] == 2 and verified.ends["system"][0] == 1
        db.session.remove()
        db.engine.dispose()


def test_0010_gives_each_child_a_plan_with_the_cases_categories(database_uri):
    """Shared categories become one plan status per child; a recorded review conference, a
    conference asked for, and every family member's sight of every child are kept."""
    import datetime as dt

    from coregroup.models import Case, ConferenceRequest, Member, User

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            run = connection.execute
            run(
                text(
                    'INSERT INTO "user" (id, email, name, password_hash, is_admin, professional, '
                    "active, created_at, failed_logins) VALUES (1, 'p@example.test', 'Pat', 'x', "
                    "false, false, true, '2026-11-01 10:00:00', 0)"
                )
            )
            run(
                text(
                    'INSERT INTO "case" (id, reference, jurisdiction, initial_conference, '
                    "categories, last_review_conference, status, created_at) VALUES (1, 'C-1', "
                    "'england', '2026-05-04', :categories, '2026-08-03', 'open', "
                    "'2026-05-04 10:00:00')"
                ),
                {"categories": '["neglect", "physical"]'},
            )
            for n, name in enumerate(["Maya", "Leo"], start=1):
                run(
                    text("INSERT INTO child (id, case_id, name) VALUES (:id, 1, :name)"),
                    {"id": n, "name": name},
                )
            for n, (role, user) in enumerate([("parent", 1), ("teacher", None)], start=1):
                run(
                    text(
                        "INSERT INTO member (id, ref, case_id, user_id, name, role, "
                        "confidential, joined_on, co_opted) VALUES (:id, :ref, 1, :user, 'X', "
                        ":role, false, '2026-05-04', false)"
                    ),
                    {"id": n, "ref": f"m-{n}", "user": user, "role": role},
                )
            run(
                text(
                    "INSERT INTO meeting (id, case_id, number, kind, status, record, created_at) "
                    "VALUES (1, 1, 1, 'subsequent', 'completed', :record, '2026-06-01 10:00:00')"
                ),
                {"record": '{"date": "2026-06-01", "conferenceDecision": "request-conference"}'},
            )
        upgrade()
        case = db.session.get(Case, 1)
        assert [c.current_plan.categories for c in case.children] == [
            ["neglect", "physical"],
            ["neglect", "physical"],
        ]
        assert all(c.current_plan.started_on == dt.date(2026, 5, 4) for c in case.children)
        assert all(c.ref.startswith("c-") for c in case.children) and case.uid
        assert case.last_review_conference == dt.date(2026, 8, 3)
        assert case.categories == ["neglect", "physical"]
        parent = db.session.get(Member, 1)
        assert [c.name for c in parent.children] == ["Maya", "Leo"], "sees what they saw"
        assert db.session.get(Member, 2).children == []
        from coregroup import access

        with app.test_request_context():
            from flask_login import login_user

            login_user(db.session.get(User, 1))
            assert access.membership(db.session.get(User, 1), 1) is not None
        asked = db.session.query(ConferenceRequest).one()
        assert (asked.requested_on, asked.meeting_number) == (dt.date(2026, 6, 1), 1)
        db.session.remove()
        db.engine.dispose()
