"""Backups while the app runs, and a restore drill: the restored database is the same."""

from coregroup import backup, create_app
from coregroup.demo import load_demo
from coregroup.extensions import db


def test_backup_and_restore_give_back_the_same_database(
    app, database_uri, postgres, tmp_path, runner
):
    load_demo()
    original = backup.full_export()
    assert original["plan_version"] and original["audit_event"] is not None
    target = tmp_path / "nightly.backup"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    if postgres is None:
        restored_uri = f"sqlite:///{target}"
    else:
        restored_uri = postgres.create_database("restored")
        backup.restore_postgres(target, restored_uri)
    restored = create_app("test", SQLALCHEMY_DATABASE_URI=restored_uri)
    with restored.app_context():
        assert backup.full_export() == original
        assert backup.integrity_ok()
        db.engine.dispose()
