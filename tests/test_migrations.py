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
