"""Backups made while the app runs: SQLite's VACUUM INTO (never a file copy), or pg_dump."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from coregroup.extensions import db


def default_name(folder: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"coregroup-{stamp}.backup"


def backup(target: Path) -> Path:
    """Write a consistent copy of the database to `target` and return it."""
    url = db.engine.url
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        if target.exists():
            raise FileExistsError(target)
        raw = db.engine.raw_connection()  # outside any transaction, as VACUUM needs
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (str(target),))
        finally:
            raw.close()
        return target
    if url.get_backend_name() == "postgresql":
        pg_dump = _pg_tool("pg_dump")
        plain = make_url(url).set(drivername="postgresql")
        subprocess.run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                f"--file={target}",
                plain.render_as_string(hide_password=False),
            ],
            check=True,
            capture_output=True,
        )
        return target
    raise RuntimeError(f"no backup method for {url.get_backend_name()}")


def restore_postgres(source: Path, database_url: str) -> None:
    """Load a pg_dump backup into an empty database (for restore drills)."""
    plain = make_url(database_url).set(drivername="postgresql")
    subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={plain.render_as_string(hide_password=False)}",
            str(source),
        ],
        check=True,
        capture_output=True,
    )


def integrity_ok() -> bool:
    """SQLite's own check of the database file (PostgreSQL: always true here)."""
    if db.engine.dialect.name != "sqlite":
        return True
    return db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def _pg_tool(name: str) -> str:
    import glob

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found or not found[-1]:
        raise RuntimeError(f"{name} is not installed")
    return found[-1]


def full_export() -> dict:
    """Every row of every table, in a stable order: two databases are the same if these are."""
    import json

    out = {}
    for table in sorted(db.metadata.sorted_tables, key=lambda t: t.name):
        rows = db.session.execute(table.select().order_by(*table.primary_key.columns)).mappings()
        out[table.name] = [json.loads(json.dumps(dict(row), default=str)) for row in rows]
    return out
