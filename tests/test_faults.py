"""Fault drills: the database goes away (503, then recovery); the server is killed mid-saves."""

import os
import signal
import sqlite3

import pytest
import requests

from tests.conftest import page
from tests.test_concurrency import server, signed_in_session  # noqa: F401 - fixture


@pytest.mark.postgres_only
def test_with_postgresql_stopped_the_app_answers_503_and_recovers(client, signed_in, postgres):
    from tests.postgres import stop_and_start

    case, *_ = signed_in
    url = f"/cases/{case.id}/plan"
    assert client.get("/healthz").status_code == 200
    start = stop_and_start(postgres)
    try:
        assert client.get("/healthz").status_code == 503
        down = client.get(url)
        assert down.status_code == 503
        assert "not available right now" in page(down).text
    finally:
        start()
    assert client.get("/healthz").status_code == 200
    assert client.get(url).status_code == 200


def test_killing_the_server_mid_saves_loses_no_acknowledged_save(server, database_uri):  # noqa: F811
    base, credentials, log = server
    email = next(e for e in credentials if e.startswith("sam@"))
    session = signed_in_session(base, email, credentials[email])
    url = f"{base}/api/v1/cases/1/plan"
    acknowledged = []
    etag = session.get(url).headers["ETag"]
    pids = set()
    for n in range(60):
        if n == 40:
            # Kill every gunicorn process of this server without warning.
            for line in os.popen(f"pgrep -f 'gunicorn.*{base.rsplit(':', 1)[1]}'"):
                pids.add(int(line))
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
        try:
            response = session.patch(
                url,
                json={"aims": f"save {n}"},
                timeout=5,
                headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
            )
        except requests.RequestException:
            break
        assert response.status_code == 200
        acknowledged.append((n, int(response.headers["X-Plan-Version"])))
        etag = response.headers["ETag"]
    assert pids and len(acknowledged) >= 40
    if database_uri.startswith("sqlite"):
        path = log.parent / "server.sqlite"
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        numbers = {row[0] for row in connection.execute("SELECT number FROM plan_version")}
        connection.close()
    else:
        import psycopg

        plain = database_uri.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as connection:
            numbers = {r[0] for r in connection.execute("SELECT number FROM plan_version")}
    assert {version for _n, version in acknowledged} <= numbers
