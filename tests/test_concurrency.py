"""Ten editors, fifty edits each, through the HTTP API of the real server (gunicorn, loopback),
on SQLite and on PostgreSQL: no edit is lost, no request fails, nothing is "database is locked".
"""

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
EDITORS, EDITS = 10, 50
FIELDS = [
    "/aims",
    "/contingency",
    "/childViews",
    "/professionalNotes",
    "/needs/0/why",
    "/needs/0/howMeasured",
    "/needs/1/why",
    "/needs/1/howMeasured",
    "/needs/2/why",
    "/needs/3/why",
    "/needs/0/actions/0/how",
    "/needs/1/actions/0/how",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_uri, tmp_path):
    if database_uri.startswith("sqlite:///"):
        database_uri = f"sqlite:///{tmp_path / 'server.sqlite'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "COREGROUP_INSTANCE": str(tmp_path),
        "SECRET_KEY": "concurrency-test-" + "k" * 32,
        "COREGROUP_REQUIRE_SECOND_FACTOR": "0",
        "COREGROUP_SIGN_IN_LIMIT": "1000 per minute",
        "COREGROUP_WORKERS": "2",
    }
    bin_dir = Path(sys.executable).parent
    flask = [str(bin_dir / "flask"), "--app", "app"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    credentials = dict(
        line.split() for line in (tmp_path / "demo-credentials.txt").read_text().splitlines()
    )
    port = free_port()
    with open(tmp_path / "server.log", "w") as log:
        process = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{port}",
                "app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _n in range(200):
            try:
                if requests.get(f"{base}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            process.terminate()
            pytest.fail("gunicorn did not start: " + (tmp_path / "server.log").read_text())
        yield base, credentials, tmp_path / "server.log"
        process.terminate()
        process.wait(timeout=10)


def signed_in_session(base, email, password) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    page = session.get(f"{base}/cases").text
    session.headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    return session


def test_ten_editors_lose_no_edit(server):
    base, credentials, log = server
    accounts = [e for e in credentials if e.split("@")[0] in ("sam", "priya", "owen", "ruth")]
    url = f"{base}/api/v1/cases/1/plan"
    accepted, conflicts, failures = [], [], []
    lock = threading.Lock()

    def editor(n: int):
        rng = random.Random(n)
        email = accounts[n % len(accounts)]
        session = signed_in_session(base, email, credentials[email])
        etag = session.get(url).headers["ETag"]
        for i in range(EDITS):
            field, value = rng.choice(FIELDS), f"editor {n} edit {i}"
            response = session.patch(
                url,
                json=[{"op": "add", "path": field, "value": value}],
                headers={"If-Match": etag, "Content-Type": "application/json-patch+json"},
            )
            with lock:
                if response.status_code == 200:
                    accepted.append((field, value, int(response.headers["X-Plan-Version"])))
                    etag = response.headers["ETag"]
                elif response.status_code == 409:
                    conflicts.append((field, value))
                else:
                    failures.append((response.status_code, response.text[:200]))
            if response.status_code == 409 or rng.random() < 0.3:
                etag = session.get(url).headers["ETag"]

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not failures, failures[:5]
    print(f"{len(accepted)} edits saved, {len(conflicts)} clashes kept as drafts")
    assert len(accepted) + len(conflicts) == EDITORS * EDITS
    final = requests.Session()
    final_doc = signed_in_session(base, accounts[0], credentials[accounts[0]]).get(url).json()

    def value_at(pointer):
        node = final_doc
        for part in pointer.strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        return node

    lost = []
    for field, value, version in accepted:
        later = [v for f, _val, v in accepted if f == field and v > version]
        if value_at(field) != value and not later:
            lost.append((field, value, version))
    assert not lost, f"edits lost: {lost[:5]}"
    text = log.read_text()
    assert "database is locked" not in text and " 500 " not in text
    # The workers were forked from a master that had compiled the templates (gunicorn.conf.py).
    assert "Ready before forking: {'templates':" in text
    final.close()
