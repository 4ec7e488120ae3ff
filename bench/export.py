"""Streamed NDJSON export of many cases: time and peak memory, each size in a fresh process.

`run(1000)` fills a database in one process, then exports it in another and returns cases,
seconds, bytes and extra MB (peak resident memory during the export, over the process's size
before it started)."""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    """Resident memory now (not the high-water mark, which start-up may have set)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def fill(database_url: str, cases: int) -> str:
    """`cases` demo-sized cases, each with 6 members and one full plan; returns a token."""
    from sqlalchemy import insert

    from coregroup import create_app, tokens
    from coregroup.extensions import db
    from coregroup.models import Case, Child, ChildPlan, Member, PlanVersion, User
    from tests.factories import REFS, full_plan

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        lead = User(
            email="lead@bench.example", name="Lee Lead", professional=True, password_hash="!"
        )
        db.session.add(lead)
        db.session.commit()
        template = json.dumps(full_plan(REFS))  # built once; each case gets its own ids
        for start in range(0, cases, 500):
            batch = range(start, min(start + 500, cases))
            db.session.execute(
                insert(Case),
                [
                    {
                        "id": n + 1,
                        "reference": f"BULK-{n:05d}",
                        "jurisdiction": "england",
                        "uid": f"00000000-0000-4000-8000-{n:012d}",
                        "initial_conference": dt.date(2026, 11, 2),
                        "status": "open",
                    }
                    for n in batch
                ],
            )
            db.session.execute(
                insert(Child),
                [
                    {"id": n + 1, "case_id": n + 1, "name": f"Child {n}", "ref": f"c-{n}"}
                    for n in batch
                ],
            )
            db.session.execute(
                insert(ChildPlan),
                [
                    {
                        "child_id": n + 1,
                        "number": 1,
                        "categories": ["neglect"],
                        "initial_categories": ["neglect"],
                        "started_on": dt.date(2026, 11, 2),
                    }
                    for n in batch
                ],
            )
            members, versions = [], []
            for n in batch:
                refs = {key: f"m-{n}{key}" for key in REFS}
                for key, ref in refs.items():
                    members.append(
                        {
                            "case_id": n + 1,
                            "ref": ref,
                            "name": key.title(),
                            "role": "lead-social-worker" if key == "sam" else "teacher",
                            "user_id": lead.id if key == "sam" else None,
                            "co_opted": False,
                        }
                    )
                text = template
                for key, ref in refs.items():
                    text = text.replace(f'"{REFS[key]}"', f'"{ref}"')
                versions.append(
                    {
                        "case_id": n + 1,
                        "number": 1,
                        "document": json.loads(text),
                        "schema_version": "1.0.0",
                        "changes": [],
                        "author_ref": refs["sam"],
                    }
                )
            db.session.execute(insert(Member), members)
            db.session.execute(insert(PlanVersion), versions)
            db.session.commit()
        _, secret = tokens.create(lead, "bench", ["export"])
        db.session.commit()
        db.engine.dispose()
    return secret


def measure(database_url: str, secret: str) -> dict:
    from coregroup import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url)
    client = app.test_client()
    before = _rss_mb()
    started = time.perf_counter()
    response = client.get(
        "/api/v1/export.ndjson", headers={"Authorization": f"Bearer {secret}"}, buffered=False
    )
    size = lines = 0
    peak = before
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
        if lines % 100 == 0:
            peak = max(peak, _rss_mb())
    seconds = time.perf_counter() - started
    response.close()
    return {
        "cases": lines,
        "seconds": round(seconds, 2),
        "bytes": size,
        "extraMB": round(max(peak, _rss_mb()) - before, 1),
    }


def run(count: int) -> dict:
    import subprocess

    work = Path(tempfile.mkdtemp(prefix="coregroup-export-"))
    url = f"sqlite:///{work / 'export.sqlite'}"
    python = [sys.executable, "-m", "bench.export"]
    token = (
        subprocess.run(
            [*python, "fill", str(count), url], cwd=ROOT, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    out = (
        subprocess.run(
            [*python, "measure", url, token], cwd=ROOT, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return json.loads(out)


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        print(fill(sys.argv[3], int(sys.argv[2])))
    elif sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        print(json.dumps(run(int(sys.argv[1]))))
