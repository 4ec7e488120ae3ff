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


def api_edits(session, url: str, who: str, rng, outcomes, lock) -> None:
    """EDITS random JSON Patches through the API, each against the version last read: each
    goes to `accepted` (field, value, version), a clash kept as a draft, or a failure."""
    accepted, clashes, failures = outcomes
    etag = session.get(url).headers["ETag"]
    for i in range(EDITS):
        field, value = rng.choice(FIELDS), f"{who} edit {i}"
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
                clashes.append((field, value))
            else:
                failures.append((response.status_code, response.text[:200]))
        if response.status_code == 409 or rng.random() < 0.3:
            etag = session.get(url).headers["ETag"]


def test_ten_editors_lose_no_edit(server):
    base, credentials, log = server
    accounts = [e for e in credentials if e.split("@")[0] in ("sam", "priya", "owen", "ruth")]
    url = f"{base}/api/v1/cases/1/plan"
    accepted, conflicts, failures = [], [], []
    lock = threading.Lock()

    def editor(n: int):
        email = accounts[n % len(accounts)]
        session = signed_in_session(base, email, credentials[email])
        api_edits(
            session, url, f"editor {n}", random.Random(n), (accepted, conflicts, failures), lock
        )

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


def web_page_for(field: str, plan: dict) -> tuple[str, str]:
    """The plan page (path under /cases/1/plan/) that asks `field`, and the form's name for it."""
    parts = field.strip("/").split("/")
    simple = {
        "aims": ("aims/aims", "aims"),
        "contingency": ("contingency/contingency", "contingency"),
        "childViews": ("child-views/child-views", "childViews"),
        "professionalNotes": ("professional-notes/notes", "professionalNotes"),
    }
    if len(parts) == 1:
        return simple[parts[0]]
    need = plan["needs"][int(parts[1])]
    if parts[2] == "actions":
        action = need["actions"][int(parts[3])]
        return f"needs/{need['id']}/actions/{action['id']}/what", parts[4]
    page = {"why": "change", "howMeasured": "outcome"}[parts[2]]
    return f"needs/{need['id']}/{page}", parts[2]


def form_of(html: str) -> dict:
    """What the page's form sends back as it stands: hidden fields and every text box."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").select_one("main form[method=post]")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    for area in form.select("textarea"):
        data[area["name"]] = area.get_text()
    return data


def editors_in_the_core_group(database_url: str, count: int) -> dict[str, str]:
    """`count` professionals, each a member of the demo case: {email: password}."""
    from coregroup import create_app
    from coregroup.auth import hash_password
    from coregroup.extensions import db
    from coregroup.models import Member, User

    password = "concurrent editors password"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    made = {}
    with app.app_context():
        hashed = hash_password(password)
        for n in range(count):
            email = f"editor{n}@example.test"
            user = User(email=email, name=f"Editor {n}", password_hash=hashed, professional=True)
            db.session.add(user)
            db.session.flush()
            db.session.add(Member(case_id=1, user_id=user.id, name=user.name, role="teacher"))
            made[email] = password
        db.session.commit()
        db.engine.dispose()
    return made


def test_ten_editors_half_on_the_web_forms_lose_no_edit(server, database_uri, tmp_path):
    """Five editors through the API and five through the HTML forms (a session, CSRF tokens,
    pages left open while others save): every edit ends in the final plan, superseded by a
    later edit of the same field, or kept as a clash (in a draft, or set aside); no 5xx."""
    base, _credentials, log = server
    url = database_uri
    if url.startswith("sqlite:///"):
        url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    # One account each: a person's own pages and drafts are theirs to replace; what is tested
    # here is that nobody else's edit is ever lost.
    credentials = editors_in_the_core_group(url, EDITORS)
    accounts = list(credentials)
    api = f"{base}/api/v1/cases/1/plan"
    plan_url = f"{base}/cases/1/plan"
    accepted, kept, failures = [], [], []
    lock = threading.Lock()

    def api_editor(n: int, rng, session):
        api_edits(session, api, f"api editor {n}", rng, (accepted, kept, failures), lock)

    def save(session, rng) -> int | None:
        """Save the draft, settling any clash at "check your answers"; the version saved."""
        for _attempt in range(5):
            response = session.post(f"{plan_url}/save", allow_redirects=False)
            if response.status_code == 302:
                shown = session.get(f"{base}{response.headers['Location']}").text
                found = re.search(r"Plan saved as version (\d+)", shown)
                return int(found[1]) if found else None
            if response.status_code != 400:
                failures.append((response.status_code, response.text[:200]))
                return None
            keep = rng.choice(["mine", "theirs"])
            settled = session.post(f"{plan_url}/resolve", data={"keep": keep})
            if settled.status_code >= 400:
                failures.append((settled.status_code, settled.text[:200]))
                return None
        return None

    def web_editor(n: int, rng, session):
        plan = session.get(api).json()
        pages: dict[str, str] = {}  # pages left open, as they were when fetched
        for i in range(EDITS):
            field, value = rng.choice(FIELDS), f"web editor {n} edit {i}"
            path, name = web_page_for(field, plan)
            if path not in pages or rng.random() < 0.6:
                pages[path] = session.get(f"{plan_url}/{path}").text
            data = form_of(pages[path])
            data[name] = value
            response = session.post(f"{plan_url}/{path}", data=data, allow_redirects=False)
            if response.status_code == 409:
                data = form_of(response.text)
                keep = rng.choice(["mine", "theirs"])
                data[name], data[f"keep__{name}"] = value, keep
                response = session.post(f"{plan_url}/{path}", data=data, allow_redirects=False)
                if keep == "theirs" and response.status_code == 302:
                    with lock:
                        kept.append((field, value))
                    save(session, rng)
                    continue
            if response.status_code != 302:
                with lock:
                    if response.status_code == 409:
                        kept.append((field, value))  # saved again meanwhile: still a clash
                    else:
                        failures.append((response.status_code, response.text[:200]))
                continue
            version = save(session, rng)
            with lock:
                if version:
                    accepted.append((field, value, version))
                else:
                    kept.append((field, value))

    def editor(n: int):
        rng = random.Random(n)
        email = accounts[n % len(accounts)]
        session = signed_in_session(base, email, credentials[email])
        (api_editor if n < EDITORS // 2 else web_editor)(n, rng, session)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures[:5]
    print(f"{len(accepted)} edits saved, {len(kept)} kept as clashes")
    assert len(accepted) + len(kept) == EDITORS * EDITS
    final = signed_in_session(base, accounts[0], credentials[accounts[0]]).get(api).json()

    def value_at(pointer):
        node = final
        for part in pointer.strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        return node

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        elsewhere = " ".join(
            str(row[0])
            for query in ("SELECT value FROM set_aside", "SELECT document FROM plan_draft")
            for row in connection.execute(text(query))
        ) + " ".join(
            str(row[0]) for row in connection.execute(text("SELECT document FROM plan_version"))
        )
    engine.dispose()

    def edited_again(field: str, value: str) -> bool:
        """The same editor changed the same field later, on a page that showed their answer:
        a person may replace their own words (anyone else's are never lost)."""
        who, number = value.rsplit(" edit ", 1)
        return any(
            f == field and v.startswith(who + " edit ") and int(v.rsplit(" ", 1)[1]) > int(number)
            for f, v, *_ in accepted + kept
        )

    lost = []
    for field, value, version in accepted:
        later = [v for f, _val, v in accepted if f == field and v > version]
        if value_at(field) != value and not later and value not in elsewhere:
            lost.append((field, value, version))
    missing = [
        (field, value)
        for field, value in kept
        if value not in elsewhere and not edited_again(field, value)
    ]
    assert not lost, f"edits lost: {lost[:5]}"
    assert not missing, f"clashes not kept: {missing[:5]}"
    text_log = log.read_text()
    assert "database is locked" not in text_log and " 500 " not in text_log
