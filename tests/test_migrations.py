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
