"""`make bench-scale`: the main pages on a national-scale database.

PostgreSQL (a throwaway server): BENCH_SCALE_CASES open cases (default 50,000) and twice as many
closed ones, each with 2 children, 8 members, a plan with several versions, up to 3 meetings
with their circulation, review conferences and BENCH_SCALE_AUDIT audit events (default 40, so
6 million at the default size), bulk loaded by bench/scale_data.py. Measured first at 500 open
cases, then the same database grown to the full size and measured again. Then SQLite (its
embedded role) at BENCH_SCALE_SQLITE_CASES open cases (default 5,000, and twice as many closed).

Each page: p50/p95 in process (Flask's test client, BENCH_SCALE_REQUESTS sequential requests
after warm-up), p50/p95 under gunicorn at 8 connections (wrk, BENCH_SCALE_SECONDS), and the SQL
queries of one request. Saves: 10 editors at once (10 wrk threads, one connection and one
account each) on one plan, and on 10 different cases, with the time PostgreSQL's backends spent
waiting for locks meanwhile. Prints one markdown table, also written to bench-results/scale.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, start  # noqa: E402
from bench.scale_data import EDITORS, SECRET_KEY, load, validate_sample  # noqa: E402

FULL = int(os.environ.get("BENCH_SCALE_CASES", "50000"))
SMALL = min(500, FULL)
SQLITE_CASES = int(os.environ.get("BENCH_SCALE_SQLITE_CASES", "5000"))
AUDIT = int(os.environ.get("BENCH_SCALE_AUDIT", "40"))
SECONDS = os.environ.get("BENCH_SCALE_SECONDS", "3")
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "30"))
WARM = 3
BIN = Path(sys.executable).parent
OUT = ROOT / "bench-results"


def say(text: str) -> None:
    print(text, flush=True)


# --- The pages ---------------------------------------------------------------------------------


def pages(info: dict, last_meeting: int) -> list[dict]:
    """What is measured: (name, reader, method, path or per-editor paths)."""
    chair_case, parent_case = info["chair_case"], info["parent_case"]
    shared, own = info["editor_shared_case"], info["editor_cases"]
    return [
        {"name": "dashboard, 150 cases", "reader": "chair", "path": "/dashboard"},
        {"name": "dashboard, 20 cases", "reader": "twenty", "path": "/dashboard"},
        {"name": "dashboard, 1 case", "reader": "one", "path": "/dashboard"},
        {"name": "case list, 150 cases", "reader": "chair", "path": "/cases"},
        {"name": "case overview", "reader": "chair", "path": f"/cases/{chair_case}"},
        {"name": "plan (professional)", "reader": "chair", "path": f"/cases/{chair_case}/plan"},
        {"name": "plan (family)", "reader": "parent", "path": f"/cases/{parent_case}/plan/read"},
        {"name": "my tasks, 150 cases", "reader": "chair", "path": "/my-tasks"},
        {"name": "my tasks, 20 cases", "reader": "twenty", "path": "/my-tasks"},
        {"name": "meetings of a case", "reader": "chair", "path": f"/cases/{chair_case}/meetings"},
        {
            # What an open plan page asks once a second (answered in full here: a 304 costs the
            # same queries and less sending).
            "name": "live poll of an open plan",
            "reader": "chair",
            "path": f"/cases/{chair_case}/plan/live",
        },
        {
            "name": "meeting record",
            "reader": "chair",
            "path": f"/cases/{chair_case}/meetings/{last_meeting}/minutes",
        },
        {
            "name": "save, 10 editors on one plan",
            "save": [f"/cases/{shared}/plan/aims/aims"] * EDITORS,
        },
        {
            "name": "save, 10 editors on 10 cases",
            "save": [f"/cases/{case}/plan/aims/aims" for case in own],
        },
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


class Harness:
    """One app in this process on the database, its readers signed in (second factor too)."""

    last_step: dict[int, int] = {}  # TOTP time steps used, per account: each works once

    def __init__(self, url: str, info: dict, work: Path):
        from sqlalchemy import event

        from coregroup import create_app
        from coregroup.extensions import db

        self.url, self.info = url, info
        self.app = create_app(
            "development",
            SQLALCHEMY_DATABASE_URI=url,
            INSTANCE_PATH=str(work),
            SECRET_KEY=SECRET_KEY,
            COREGROUP_SIGN_IN_LIMIT="100000 per minute",
            PROPAGATE_EXCEPTIONS=True,  # a page that fails is named with its error
        )
        self.queries = None
        with self.app.app_context():
            self.engine = db.engine

        @event.listens_for(self.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, parameters, context, executemany):
            if self.queries is not None:
                self.queries.append(statement)

        self.clients = {}
        self.tokens = {}
        for key in ["chair", "twenty", "one", "parent"] + [f"editor{n}" for n in range(EDITORS)]:
            self.clients[key] = self.sign_in(info["readers"][key])
            self.tokens[key] = self.csrf_token(key)

    def csrf_token(self, key: str) -> str:
        """The session's CSRF token, from the first of a few pages that answers."""
        problems = []
        for path in ("/cases", "/my-tasks", "/dashboard"):
            try:
                page = self.clients[key].get(path)
            except Exception as error:  # noqa: BLE001 - named below, the run goes on
                problems.append(f"{path}: {type(error).__name__}: {error}")
                continue
            if page.status_code == 200:
                return re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
            problems.append(f"{path}: {page.status_code}")
        raise RuntimeError(f"{key} has no page with a CSRF token: {'; '.join(problems)}")

    def sign_in(self, reader: dict):
        import pyotp

        client = self.app.test_client()
        page = client.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        answer = client.post(
            "/sign-in",
            data={"email": reader["email"], "password": reader["password"], "csrf_token": token},
        )
        assert answer.status_code == 302, answer.text[:2000]
        if "/sign-in/code" in answer.headers["Location"]:
            totp = pyotp.TOTP(reader["totp_secret"])
            now = totp.timecode(dt.datetime.now(dt.UTC))
            step = max(now - 1, self.last_step.get(reader["id"], -1) + 1)
            while step > totp.timecode(dt.datetime.now(dt.UTC)) + 1:
                time.sleep(1)
            self.last_step[reader["id"]] = step
            page = client.get("/sign-in/code").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
            answer = client.post(
                "/sign-in/code", data={"code": totp.generate_otp(step), "csrf_token": token}
            )
            assert answer.status_code == 302, answer.text[:2000]
        return client

    def cookie(self, key: str) -> str:
        return f"session={self.clients[key].get_cookie('session').value}"

    def request(self, key: str, path: str, body: dict | None = None):
        client = self.clients[key]
        if body is None:
            return client.get(path)
        return client.post(path, data={**body, "csrf_token": self.tokens[key]})

    def measure(self, page: dict) -> dict:
        """p50/p95 of REQUESTS sequential requests after WARM, and the queries of one."""
        if "save" in page:
            calls = [
                (f"editor{n % EDITORS}", page["save"][n % EDITORS], {"aims": f"Safe {n}"})
                for n in range(REQUESTS + WARM + 1)
            ]
        else:
            calls = [(page["reader"], page["path"], None)] * (REQUESTS + WARM + 1)
        timings = []
        statuses = set()
        for n, (key, path, body) in enumerate(calls):
            if n == WARM:
                self.queries = []
            started = time.perf_counter()
            answer = self.request(key, path, body)
            elapsed = time.perf_counter() - started
            if n == WARM:
                queries, self.queries = self.queries, None
            location = answer.headers.get("Location", "")
            if answer.status_code >= 400 or "sign-in" in location:
                raise RuntimeError(f"{page['name']}: {answer.status_code} {location}")
            statuses.add(answer.status_code)
            if n > WARM:
                timings.append(elapsed * 1000)
        return {
            "p50": percentile(timings, 0.5),
            "p95": percentile(timings, 0.95),
            "queries": len(queries),
            "sql": queries,
            "status": statuses.pop() if len(statuses) == 1 else sorted(statuses),
        }

    def close(self):
        self.engine.dispose()


# --- Under gunicorn ----------------------------------------------------------------------------

LUA_GET = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= EXPECT then bad = bad + 1 end end
"""
LUA_SAVE = """
local threads = {}
local editors = EDITORS
local count = 0
function setup(thread)
  count = count + 1
  thread:set("which", count)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  local e = editors[which]
  req = wrk.format("POST", e.path, {["Cookie"] = e.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded", ["Origin"] = BASE}, e.body)
end
function request() return req end
function response(status, headers, body) if status ~= EXPECT then bad = bad + 1 end end
"""
LUA_DONE = """
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("p50-us %d\\np95-us %d\\nbad %d\\nrequests %d\\n",
    latency:percentile(50), latency:percentile(95), b, summary.requests))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these characters


def run_wrk(url: str, threads: int, connections: int, script: Path, seconds: str, cookie=""):
    """wrk's figures; a page too slow for BENCH_SCALE_SECONDS to see 5 answers per connection
    is measured again for longer (up to 30 s)."""
    found = _wrk(url, threads, connections, script, seconds, cookie)
    wanted = 5 * connections
    if found["requests"] < wanted and float(seconds) < 30:
        longer = min(30.0, float(seconds) * wanted / max(found["requests"], 1) * 1.2)
        found = _wrk(url, threads, connections, script, f"{longer:.0f}", cookie)
        found["seconds"] = longer
    return found


def _wrk(url: str, threads: int, connections: int, script: Path, seconds: str, cookie=""):
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--latency", "--timeout", "60s", "-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    found = {k: int(v) for k, v in re.findall(r"^(p50-us|p95-us|bad|requests) (\d+)$", out, re.M)}
    socket = re.search(r"Socket errors: .*", out)
    return {
        "p50": found["p50-us"] / 1000,
        "p95": found["p95-us"] / 1000,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "requests": found["requests"],
        "bad": found["bad"],
        "socket": socket[0] if socket else "",
    }


class LockSampler:
    """Backends of this database waiting for a lock, sampled every 5 ms while running."""

    def __init__(self, url: str):
        import psycopg
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(plain, autocommit=True)
        self.samples = self.waiting = self.waiters = 0
        self.interval = 0.005
        self.running = False

    def __enter__(self):
        self.running = True
        self.started = time.perf_counter()

        def sample():
            while self.running:
                found = self.conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ).fetchone()[0]
                self.samples += 1
                self.waiters += found
                self.waiting += bool(found)
                time.sleep(self.interval)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.seconds = time.perf_counter() - self.started
        self.conn.close()

    def result(self, saves: int, log_waits: int | None) -> dict:
        # Each sample stands for the time since the one before it.
        per_sample = self.seconds / max(self.samples, 1)
        waited = self.waiters * per_sample
        return {
            "samples": self.samples,
            "share": self.waiting / max(self.samples, 1),
            "waited_ms": waited * 1000,
            "per_save_ms": waited * 1000 / max(saves, 1),
            "log_waits": log_waits,
        }


def gunicorn_figures(
    url: str, harness: Harness, plan: list[dict], work: Path, pg=None, log_name="gunicorn"
) -> dict:
    """Each page under gunicorn at 8 connections; saves by 10 editors at once."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COREGROUP_INSTANCE": str(work),
        "SECRET_KEY": SECRET_KEY,
        "COREGROUP_SIGN_IN_LIMIT": "100000 per minute",
        "COREGROUP_ACCESS_LOG": "/dev/null",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "app:app"],
        env,
        port,
        work / f"{log_name}.log",
    )
    results = {}
    try:
        for page in plan:
            if "save" in page:
                editors = ",\n".join(
                    "{{path = {}, cookie = {}, body = {}}}".format(
                        lua_string(path),
                        lua_string(harness.cookie(f"editor{n}")),
                        lua_string(f"csrf_token={harness.tokens[f'editor{n}']}&aims=Safe+{n}"),
                    )
                    for n, path in enumerate(page["save"])
                )
                script = work / "save.lua"
                script.write_text(
                    LUA_SAVE.replace("EDITORS", "{" + editors + "}")
                    .replace("BASE", lua_string(base))
                    .replace("EXPECT", "302")
                    + LUA_DONE
                )
                _wrk(base + page["save"][0], EDITORS, EDITORS, script, "1")
                log_before = _log_size(pg)
                sampler = LockSampler(url) if pg else None
                if sampler:
                    with sampler:
                        found = run_wrk(base + page["save"][0], EDITORS, EDITORS, script, SECONDS)
                    found["locks"] = sampler.result(found["requests"], _log_waits(pg, log_before))
                else:
                    found = run_wrk(base + page["save"][0], EDITORS, EDITORS, script, SECONDS)
            else:
                script = work / "get.lua"
                script.write_text(LUA_GET.replace("EXPECT", "200") + LUA_DONE)
                cookie = harness.cookie(page["reader"])
                _wrk(base + page["path"], 2, 8, script, "1", cookie)
                found = run_wrk(base + page["path"], 2, 8, script, SECONDS, cookie)
            found["expect"] = 302 if "save" in page else 200
            if found["bad"]:
                say(
                    f"    ! {page['name']}: {found['bad']} answers not {found['expect']}; see "
                    f"{work / (log_name + '.log')}"
                )
            results[page["name"]] = found
            say(
                f"    {page['name']}: 8 connections p50 {found['p50']:.0f} ms, "
                f"p95 {found['p95']:.0f} ms, {found['rps']:.0f}/s, {found['bad']} unexpected"
            )
    finally:
        server.terminate()
        server.wait(30)
    return results


def _log_size(pg) -> int:
    return (pg.dir / "log").stat().st_size if pg else 0


def _log_waits(pg, since: int) -> int | None:
    """`log_lock_waits` lines ("still waiting for ... Lock") written since `since`."""
    if not pg:
        return None
    with (pg.dir / "log").open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    return len(re.findall(r"still waiting for \w+Lock", text))


# --- A whole measurement -----------------------------------------------------------------------


def last_meeting_of(url: str, case_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(
            text("SELECT max(number) FROM meeting WHERE case_id = :c"), {"c": case_id}
        )
    engine.dispose()
    return found or 1


def measure(url: str, info: dict, work: Path, label: str, pg=None) -> dict:
    say(f"  measuring {label}: in process ({REQUESTS} requests after {WARM} warm-up each)")
    plan = pages(info, last_meeting_of(url, info["chair_case"]))
    harness = Harness(url, info, work)
    inproc = {}
    for page in plan:
        try:
            inproc[page["name"]] = found = harness.measure(page)
        except Exception as error:  # noqa: BLE001 - one failing page does not end the run
            harness.queries = None
            inproc[page["name"]] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
            say(f"    ! {page['name']}: failed in process: {inproc[page['name']]['error']}")
            continue
        say(
            f"    {page['name']}: p50 {found['p50']:.0f} ms, p95 {found['p95']:.0f} ms, "
            f"{found['queries']} queries"
        )
    say(f"  measuring {label}: under gunicorn, wrk {SECONDS} s per page")
    log_name = "gunicorn-" + re.sub(r"\W+", "-", label).strip("-").lower()
    under = gunicorn_figures(url, harness, plan, work, pg, log_name)
    harness.close()
    return {"in": inproc, "wrk": under}


def loaded(url: str, open_cases: int, closed_cases: int, label: str, times: list) -> dict:
    say(f"Loading {open_cases:,} open and {closed_cases:,} closed cases ({label})...")
    info = load(url, open_cases, closed_cases, AUDIT, log=say)
    problems = validate_sample(url)
    if problems:
        raise SystemExit("loaded documents are not valid: " + "; ".join(problems[:5]))
    rebuild = info["due_items_seconds"]  # the loader writes every case's due items
    times.append((label, info, rebuild))
    say(
        f"  load {info['copy_seconds']:.1f} s ({info['rows_written']['audit_event']:,} audit "
        f"events), statistics {info.get('vacuum_analyze_s', info.get('analyze_s', 0)):.1f} s, "
        + (
            "due items rebuild: no coregroup.dueitems.rebuild()"
            if rebuild is None
            else f"due items rebuild {rebuild:.1f} s"
        )
    )
    return info


def slow_statements(pg, since: int, top: int = 6) -> list[str]:
    """The statements PostgreSQL logged as slow (log_min_duration_statement) since `since` in
    its log, the bulk load's own left out: grouped by text, the slowest first."""
    with (pg.dir / "log").open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    found: dict[str, list[float]] = {}
    for entry in re.split(r"\n(?=\d{4}-\d\d-\d\d )", text):
        match = re.search(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)", entry, re.S)
        if not match:
            continue
        statement = " ".join(match[2].split())
        if re.match(r"(COPY|VACUUM|ANALYZE|CREATE|ALTER|SELECT setval)", statement, re.I):
            continue
        statement = re.sub(r"\b\d+\b", "N", statement)
        statement = re.sub(r"(\$?N(::\w+)?, )+\$?N(::\w+)?", "N, ...", statement)
        found.setdefault(statement, []).append(float(match[1]))
    ranked = sorted(found.items(), key=lambda item: -max(item[1]))[:top]
    return [
        f"{len(times)}× over the threshold, max {max(times):.0f} ms, mean "
        f"{sum(times) / len(times):.0f} ms: `{statement[:1200]}`"
        for statement, times in ranked
    ]


def postgres_server():
    from tests.postgres import ThrowawayPostgres, stop_and_start

    server = ThrowawayPostgres()
    server.start()
    import psycopg

    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{server.port}/postgres", autocommit=True
    ) as conn:
        # A server sized for the machine (the throwaway's defaults are PostgreSQL's: 128 MB of
        # shared buffers), and lock waits logged from 20 ms.
        for setting, value in (
            ("shared_buffers", "1GB"),
            ("effective_cache_size", "8GB"),
            ("maintenance_work_mem", "512MB"),
            ("work_mem", "16MB"),
            ("max_wal_size", "8GB"),
            ("checkpoint_timeout", "30min"),
            ("log_lock_waits", "on"),
            ("deadlock_timeout", "20ms"),
            ("autovacuum", "on"),
            ("log_min_duration_statement", "50ms"),
        ):
            conn.execute(f"ALTER SYSTEM SET {setting} = '{value}'")
    stop_and_start(server)()
    return server


def machine(pg_url: str | None) -> str:
    memory = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, TypeError):
        pass
    version = "not run"
    if pg_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_url)
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
        engine.dispose()
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {memory} RAM, PostgreSQL {version}, "
        f"Python {platform.python_version()}"
    )


def fmt(pair: dict | None) -> str:
    return f"{pair['p50']:.0f} / {pair['p95']:.0f}" if pair else "–"


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="coregroup-scale-"))
    times: list = []
    results = []  # (database, cases label, figures, figures at 500 or None)
    say(
        f"bench-scale: {FULL:,} open cases on PostgreSQL (first {SMALL:,}), "
        f"{SQLITE_CASES:,} on SQLite; {AUDIT} audit events per case; work in {work}"
    )
    pg = postgres_server()
    try:
        url = pg.create_database("scale")
        info = loaded(url, SMALL, 2 * SMALL, f"PostgreSQL, {SMALL:,} open", times)
        since = _log_size(pg)
        small = measure(url, info, work, f"PostgreSQL at {SMALL:,} open cases", pg)
        if FULL > SMALL:
            info = loaded(
                url, FULL - SMALL, 2 * (FULL - SMALL), f"PostgreSQL, grown to {FULL:,}", times
            )
            since = _log_size(pg)
            full = measure(url, info, work, f"PostgreSQL at {FULL:,} open cases", pg)
        else:
            full = small
        slow = slow_statements(pg, since)
        results.append(("PostgreSQL", FULL, full, small))
        pg_machine = machine(url)
        sizes = database_sizes(url)
    finally:
        pg.stop()
    if SQLITE_CASES:  # 0: PostgreSQL only
        sqlite_url = f"sqlite:///{work / 'scale.sqlite'}"
        label = f"SQLite, {SQLITE_CASES:,} open"
        info = loaded(sqlite_url, SQLITE_CASES, 2 * SQLITE_CASES, label, times)
        lite = measure(sqlite_url, info, work, f"SQLite at {SQLITE_CASES:,} open cases")
        results.append(("SQLite", SQLITE_CASES, lite, None))
    report(results, times, pg_machine, sizes, slow, time.perf_counter() - started, work)


def database_sizes(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM "
                "pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 6"
            )
        ).all()
        total = conn.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return f"database {total / 1e9:.1f} GB; largest tables: " + ", ".join(
        f"{name} {count:,} rows ({size / 1e9:.2f} GB)" for name, count, size in rows
    )


def report(results, times, pg_machine, sizes, slow, seconds, work) -> None:
    lines = [
        f"# Core Group at national scale, {dt.date.today().isoformat()}",
        "",
        f"Machine: {pg_machine}. Whole run: {seconds / 60:.1f} minutes.",
        "",
        "Loads (bulk: COPY on PostgreSQL, executemany on SQLite; the audit hashes are dummies "
        "with the chains' shape right):",
        "",
    ]
    for label, info, rebuild in times:
        stats = info.get("vacuum_analyze_s", info.get("analyze_s", 0))
        lines.append(
            f"- {label}: {info['cases']['open']:,} open + {info['cases']['closed']:,} closed "
            f"cases in the database, {info['audit_events']:,} audit events; this load "
            f"{info['copy_seconds']:.1f} s + statistics {stats:.1f} s"
            + ("" if rebuild is None else f" + due items rebuild {rebuild:.1f} s")
        )
    lines += ["", sizes, ""]
    lines += [
        "Times in ms, p50 / p95. In process: Flask's test client, "
        f"{REQUESTS} sequential requests after {WARM} warm-up. 8 connections: gunicorn "
        f"(gunicorn.conf.py), wrk {SECONDS} s; saves: 10 editors at once, one connection "
        "each. Queries: SQL statements of one in-process request. Growth: p95 at "
        f"{SMALL:,} open cases → at the full size (in process; 8 connections).",
        "",
        "| page | database | open cases | in process p50 / p95 | 8 connections p50 / p95 "
        "| queries | growth p95 in process | growth p95 8 conn. |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for database, cases, figures, small in results:
        for name, found in figures["in"].items():
            under = figures["wrk"].get(name)
            if "error" in found or (small is not None and "error" in small["in"][name]):
                failed = found.get("error") or small["in"][name]["error"]
                lines.append(
                    f"| {name} | {database} | {cases:,} | failed: {failed} | "
                    f"{fmt(under)} | – | – | – |"
                )
                continue
            growth_in = growth_wrk = "–"
            if small is not None:
                before, after = small["in"][name], found
                growth_in = f"{before['p95']:.0f} → {after['p95']:.0f}"
                before_wrk = small["wrk"].get(name)
                if before_wrk and under:
                    growth_wrk = f"{before_wrk['p95']:.0f} → {under['p95']:.0f}"
            bad = ""
            if under and under["bad"]:
                bad = f" ({under['bad']} of {under['requests']} answers not {under['expect']})"
            lines.append(
                f"| {name} | {database} | {cases:,} | {fmt(found)} | {fmt(under)}{bad} | "
                f"{found['queries']} | {growth_in} | {growth_wrk} |"
            )
    lines += ["", "Lock waits while 10 editors save at once (PostgreSQL, sampled every 5 ms):", ""]
    for database, cases, figures, small in results:
        for label, found in (("full", figures), (f"{SMALL:,}", small)):
            if not found:
                continue
            for name, under in found["wrk"].items():
                locks = under.get("locks")
                if not locks:
                    continue
                lines.append(
                    f"- {name}, {database} at {label if label != 'full' else f'{cases:,}'} "
                    f"open cases: a backend waiting in {locks['share']:.1%} of samples, "
                    f"≈{locks['waited_ms']:.0f} ms waited in all over {under['requests']} saves "
                    f"(≈{locks['per_save_ms']:.1f} ms per save); log_lock_waits (20 ms): "
                    f"{locks['log_waits']}"
                )
    measured = [item for item in results[0][2]["in"].items() if "error" not in item[1]]
    slowest = max(measured, key=lambda item: item[1]["p95"])
    lines += [
        "",
        f"Slowest page in process on PostgreSQL: {slowest[0]} ({slowest[1]['queries']} queries).",
        "",
        "Statements PostgreSQL logged at 50 ms or more while the full size was measured "
        "(log_min_duration_statement):",
        "",
    ]
    lines += [f"- {found}" for found in slow] or ["- none"]
    table = "\n".join(lines)
    say("")
    say(table)
    OUT.mkdir(exist_ok=True)
    (OUT / "scale.md").write_text(table + "\n")
    queries = {
        f"{database} {name}": found["sql"]
        for database, _cases, figures, _small in results
        for name, found in figures["in"].items()
        if "sql" in found
    }
    (work / "queries.json").write_text(json.dumps(queries, indent=1))
    say(f"\nWritten to {OUT / 'scale.md'}; each page's SQL in {work / 'queries.json'}.")


if __name__ == "__main__":
    main()
