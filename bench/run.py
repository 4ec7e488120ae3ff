"""`make bench`: throughput and latency of the main pages under gunicorn, next to a bare Flask
page of the same size served the same way in the same run (the ceiling on this machine).

Measured with wrk from a second process on loopback, in rounds (BENCH_ROUNDS, default 5): in
each, every page is measured right after the bare page (BENCH_SECONDS each, default 3). Prints
one table; also writes it to bench-results/latest.md. Set BENCH_DATABASE=postgresql to run on a
throwaway PostgreSQL, BENCH_ONLY=family to measure one page (and the bare page).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DURATION = os.environ.get("BENCH_SECONDS", "3")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url: str, instance: Path) -> dict[str, str]:
    """A large case: 12 needs, 40 actions, 15 members, 60 versions; returns sign-ins."""
    from coregroup import create_app
    from coregroup.auth import hash_password
    from coregroup.extensions import db
    from coregroup.models import Case, Child, Member, User
    from coregroup.plans import services
    from tests.factories import large_plan

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY="bench-" + "k" * 40,
    )
    with app.app_context():
        db.create_all()
        passwords = {
            "lead@bench.example": "bench lead password one",
            "parent@bench.example": "bench parent password two",
        }
        lead = User(
            email="lead@bench.example",
            name="Lee Lead",
            professional=True,
            password_hash=hash_password(passwords["lead@bench.example"]),
        )
        parent = User(
            email="parent@bench.example",
            name="Pat Parent",
            password_hash=hash_password(passwords["parent@bench.example"]),
        )
        case = Case(
            reference="BENCH-1",
            jurisdiction="england",
            initial_conference=dt.date.today() - dt.timedelta(days=20),
        )
        case.children = [Child(name="Sam Child")]
        case.members = [
            Member(name="Lee Lead", role="lead-social-worker", user=lead),
            Member(name="Pat Parent", role="parent", user=parent),
        ]
        case.members += [Member(name=f"Pro {n}", role="teacher") for n in range(13)]
        db.session.add(case)
        db.session.flush()
        refs = [m.ref for m in case.members]
        plan = large_plan(refs, services.plan_schema().version)
        for version in range(60):
            plan["aims"] = f"Version {version}: safe and well at home."
            services.write_version(case, lead, dict(plan))
        db.session.commit()
        db.engine.dispose()
    return passwords


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    for _n in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def sign_in(base: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    session.post(
        f"{base}/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    return session


# Appended to every wrk script: wrk's own summary has no 95th percentile.
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("p95-us %d\\n", latency:percentile(95)))
end
"""


def wrk(url: str, connections: int, cookie: str, script: Path, seconds: str = DURATION) -> dict:
    command = [
        "wrk",
        "-t",
        str(min(connections, 2)),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])

    def ms(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p90": ms("90"),
        "p95": int(re.search(r"p95-us (\d+)", out)[1]) / 1000,
        "p99": ms("99"),
        "bad": int(non2xx[1]) if non2xx else 0,
        "socket": errors[0] if errors else "",
    }


LIGHTHOUSE = "lighthouse@13.5.0"


def run_lighthouse(url: str, cookie: str, work: Path) -> str:
    """Lighthouse in mobile mode with Debian's Chromium; its scores and two timings, in words."""
    import json

    report = work / "lighthouse.json"
    command = [
        "npx",
        "--yes",
        LIGHTHOUSE,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        "--only-categories=performance,accessibility",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu "
        "--disable-background-networking --disable-component-update --no-first-run",
    ]
    done = subprocess.run(
        command,
        env={**os.environ, "CHROME_PATH": shutil.which("chromium") or ""},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not report.exists():
        return f"did not run ({done.stderr.strip()[-300:]})"
    found = json.loads(report.read_text())
    scores = {k: round(v["score"] * 100) for k, v in found["categories"].items()}
    audits = found["audits"]
    lcp = audits["largest-contentful-paint"]["numericValue"] / 1000
    return (
        f"performance {scores['performance']}, accessibility {scores['accessibility']}, "
        f"largest contentful paint {lcp:.2f} s, "
        f"cumulative layout shift {audits['cumulative-layout-shift']['numericValue']:.3f}"
    )


def cookie_of(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


BEFORE_ISSUE_16 = "1364e4f"  # main before the caches, batches and hand-made layers went


def validator_lines() -> list[str]:
    """How long checking the large plan against its schema takes, in-process: jsonschema (the
    validator saves used before) and jsonschema-rs (the one they use now)."""
    import timeit

    from jsonschema import Draft202012Validator, FormatChecker

    from coregroup import create_app
    from tests.factories import large_plan

    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    schema = app.extensions["coregroup.schemas"]["child-protection-plan"]
    plan = large_plan([f"m-{n}" for n in range(15)], schema.version)
    python = Draft202012Validator(schema.raw, format_checker=FormatChecker())
    timings = {}
    for name, check in (
        ("jsonschema (before)", lambda: list(python.iter_errors(plan))),
        ("jsonschema-rs (now)", lambda: schema.errors(plan)),
    ):
        runs = timeit.repeat(check, number=20, repeat=5)
        timings[name] = min(runs) / 20 * 1000
    return [
        "Checking the large plan against its schema, in-process (best of 5 × 20): "
        + "; ".join(f"{name} {ms:.2f} ms" for name, ms in timings.items())
        + f" ({timings['jsonschema (before)'] / timings['jsonschema-rs (now)']:.0f}× faster)."
    ]


def removed_line() -> str:
    """Lines of Python added and removed in coregroup/ since issue #16 began."""
    found = subprocess.run(
        ["git", "diff", "--shortstat", BEFORE_ISSUE_16, "HEAD", "--", "coregroup"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return f"Code in coregroup/ since {BEFORE_ISSUE_16} (before issue #16): {found or 'unknown'}."


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="coregroup-bench-"))
    postgres = None
    if os.environ.get("BENCH_DATABASE") == "postgresql":
        from tests.postgres import ThrowawayPostgres

        postgres = ThrowawayPostgres()
        postgres.start()
        database_url = postgres.create_database("bench")
    else:
        database_url = f"sqlite:///{work / 'bench.sqlite'}"
    passwords = prepare(database_url, work)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COREGROUP_INSTANCE": str(work),
        "SECRET_KEY": "bench-" + "k" * 40,
        "COREGROUP_REQUIRE_SECOND_FACTOR": "0",
        "COREGROUP_SIGN_IN_LIMIT": "10000 per minute",
        "COREGROUP_ACCESS_LOG": "/dev/null",
    }
    app_port, bare_port = free_port(), free_port()
    gunicorn = str(BIN / "gunicorn")
    app = start(
        [gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{app_port}", "app:app"],
        env,
        app_port,
        work / "app.log",
    )
    base = f"http://127.0.0.1:{app_port}"
    family = sign_in(base, "parent@bench.example", passwords["parent@bench.example"])
    lead = sign_in(base, "lead@bench.example", passwords["lead@bench.example"])
    family_page = family.get(f"{base}/cases/1/plan/read").text
    (work / "page.html").write_text(family_page)
    bare_env = {**env, "BENCH_PAGE": str(work / "page.html")}
    bare = start(
        [gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{bare_port}", "bench.bare:app"],
        bare_env,
        bare_port,
        work / "bare.log",
    )

    token = re.search(r'name="csrf-token" content="([^"]+)"', lead.get(f"{base}/cases").text)[1]
    save = work / "save.lua"
    save.write_text(
        textwrap.dedent(f"""
        wrk.method = "POST"
        wrk.body = "csrf_token={token}&aims=Safe+and+well+at+home"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.headers["Origin"] = "{base}"
    """)
        + REPORT
    )
    get = work / "get.lua"
    get.write_text(REPORT)
    rows = []
    targets = [
        ("bare Flask page (ceiling)", f"http://127.0.0.1:{bare_port}/", "", get),
        ("family plan page", f"{base}/cases/1/plan/read", cookie_of(family), get),
        ("professional plan page", f"{base}/cases/1/plan", cookie_of(lead), get),
        ("dashboard", f"{base}/dashboard", cookie_of(lead), get),
        ("save (one plan page)", f"{base}/cases/1/plan/aims/aims", cookie_of(lead), save),
        ("plan export (JSON API)", f"{base}/api/v1/cases/1/plan", cookie_of(lead), get),
    ]
    only = os.environ.get("BENCH_ONLY")  # e.g. "family" while working on one page
    if only:
        targets = [t for t in targets if t[0].startswith(("bare", only))]
    # Every worker process warms up first (templates compiled, caches filled): the table is
    # about the steady state, not a worker's first request.
    for _name, url, cookie, script in targets:
        wrk(url, 8, cookie, script, seconds="2")
    # This machine's speed drifts by ±20 % over tens of seconds, so a page and the bare page
    # measured a minute apart can disagree by that much on their own. So each measurement of a
    # page is paired with one of the bare page just before it (same connections), its ratio is
    # to that one, and this is repeated in rounds; the table shows each row's median round and
    # the median and range of its ratios.
    (bare_name, bare_url, _none, bare_script), pages = targets[0], targets[1:]
    measured = {}  # (name, connections) -> [(result, ratio to the bare page just before), ...]
    for _round in range(ROUNDS):
        for name, url, cookie, script in pages:
            # Pages at 1 and 8 connections; saves by 1 and 10 editors at once.
            for connections in (1, 10) if name.startswith("save") else (1, 8):
                ceiling = wrk(bare_url, connections, "", bare_script)
                result = wrk(url, connections, cookie, script)
                measured.setdefault((bare_name, connections), []).append((ceiling, 1.0))
                ratio = result["rps"] / ceiling["rps"]
                measured.setdefault((name, connections), []).append((result, ratio))
    for (name, connections), rounds in measured.items():
        by_rate = sorted(rounds, key=lambda found: found[0]["rps"])
        result = dict(by_rate[len(by_rate) // 2][0])
        ratios = sorted(ratio for _result, ratio in rounds)
        result["worst p99"] = max(found["p99"] for found, _ratio in rounds)
        result["bad"] = sum(found["bad"] for found, _ratio in rounds)
        rows.append((name, connections, result, ratios))
    rows.sort(key=lambda row: [target[0] for target in targets].index(row[0]))
    from bench.pageweight import font_weights, measure

    host = urlparse(base).hostname
    cookies = [
        {"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in family.cookies
    ]
    weight = measure(f"{base}/cases/1/plan/read", cookies)
    lighthouse = run_lighthouse(f"{base}/cases/1/plan/read", cookie_of(family), work)
    app.terminate()
    bare.terminate()
    if postgres:
        postgres.stop()

    lines = [
        f"Core Group benchmark, {dt.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, database {database_url.split(':')[0]}, gunicorn "
        f"(gunicorn.conf.py), wrk {DURATION}s per measurement, {ROUNDS} rounds "
        "(each row: its median round; × bare: the median and range of its ratios to the bare "
        "page measured just before it), large case (12 needs, 40 actions, 15 members, "
        "60 versions)",
        "",
        "| page | connections | requests/s | p50 ms | p90 ms | p95 ms | p99 ms | worst p99 ms "
        "| non-2xx | × bare | range |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, connections, r, ratios in rows:
        lines.append(
            f"| {name} | {connections} | {r['rps']:.0f} | {r['p50']:.1f} | "
            f"{r['p90']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['worst p99']:.1f} | "
            f"{r['bad']} | {ratios[len(ratios) // 2]:.2f} | {ratios[0]:.2f}–{ratios[-1]:.2f} |"
        )
    first = weight["first"]
    lines += [
        "",
        "Family plan page on a phone (real Chromium, compressed bytes on the wire), first visit: "
        + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sorted(first.items()))
        + f"; total {sum(first.values()) / 1024:.1f} KB. Repeat visit fetches: "
        + (", ".join(weight["repeat"]) or "nothing")
        + ".",
        "",
        font_weights(),
        "",
        "Lighthouse (mobile, family plan page): " + lighthouse,
        "",
    ]
    lines += validator_lines() + ["", removed_line(), ""]
    from bench.export import run as export_run

    for count in (1000, 10000):
        found = export_run(count)
        lines.append(
            f"Streamed NDJSON export (`/api/v1/export.ndjson`, SQLite, in-process): "
            f"{found['cases']:,} cases in {found['seconds']:.1f} s, "
            f"{found['bytes'] / 1e6:.1f} MB of JSON, {found['extraMB']:.1f} MB extra memory at peak"
        )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
