"""Worklist benchmark (issue 3): 100,000 tasks across 5,000 users, the real app under uvicorn,
32 concurrent connections, side by side with GET /api/v1/ping of the same app in the same run.

    .venv/bin/python bench/worklist.py [--db sqlite|postgres|both] [--client wrk|httpx]
        [--tasks 100000] [--users 5000] [--clients 32] [--seconds 20] [--workers 2]
        [--launcher api.serve|uvicorn] [--wrk-threads 1] [--explain] [--no-readme]

Seeds a fresh SQLite file and, when one answers on 127.0.0.1:5432 (user postgres), a scratch
PostgreSQL database `ui_bench_worklist` (dropped and re-created), both migrated with Alembic.
Users get bearer tokens made with the app's secret (no password hashing). The app runs with
CLOCK=real and a Temporal address nobody answers on: the worklist reads never touch Temporal.
The load comes from `wrk` (Debian package, installed with apt-get when missing) in its own
process, or with `--client httpx` from the older in-process httpx clients. Prints a table and
writes it into bench/README.md. Run on demand, never in the tests."""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wrk  # noqa: E402
from load import Request, Result, Server, drive, machine, serve, table, write_readme  # noqa: E402
from worklist_data import PG_HOST, PG_PORT, Seeded, migrate, postgres_url, seed  # noqa: E402

from db import task_reads as reads  # noqa: E402
from db import tasks as worklist  # noqa: E402

PG_DB = "ui_bench_worklist"  # its own scratch database: the payment-run bench uses ui_bench
from db.engine import make_engine  # noqa: E402


def endpoints(s: Seeded, session_cookie: str | None) -> dict[str, Request]:
    due_before = (s.now + timedelta(days=3)).isoformat().replace("+00:00", "Z")

    def bearer(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {s.tokens[user]}"}

    calls: dict[str, Request] = {
        "ping": lambda r: ("/api/v1/ping", {}, {}),
        "my tasks": lambda r: (
            "/api/v1/tasks?assignee=me&status=active",
            bearer(r.choice(s.claimers)),
            {},
        ),
        "group tasks, filtered": lambda r: (
            f"/api/v1/tasks?group=reviewer&status=active&escalated=false&due_before={due_before}",
            bearer(r.choice(s.reviewers)),
            {},
        ),
        "one task": lambda r: (
            f"/api/v1/tasks/{r.choice(s.active_task_ids)}",
            bearer(r.choice(s.reviewers)),
            {},
        ),
    }
    if session_cookie:
        calls["staff task page"] = lambda r: (
            f"/staff/tasks/{r.choice(s.active_task_ids)}",
            {},
            {session_cookie: s.tokens[r.choice(s.reviewers)]},
        )
    return calls


def staff_cookie_name(server: Server, s: Seeded) -> str | None:
    """The staff pages' session cookie when /staff/tasks/{id} exists in this tree, else None."""
    try:
        from api.pages.web import SESSION_COOKIE
    except Exception:  # not there yet, or not importable in this tree
        return None
    resp = httpx.get(
        f"{server.base}/staff/tasks/{s.active_task_ids[0]}",
        cookies={SESSION_COOKIE: s.tokens[s.reviewers[0]]},
        follow_redirects=False,
    )
    return SESSION_COOKIE if resp.status_code == 200 else None


def explain(engine: Engine, s: Seeded) -> None:
    """Print the plan of every SQL statement the list calls run, and their in-process times."""
    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        captured.append((statement, params))

    due_before = s.now + timedelta(days=3)
    cases = {
        "my tasks": worklist.TaskFilters(assignee=s.claimers[0], status="active"),
        "group tasks, filtered": worklist.TaskFilters(
            group="reviewer", status="active", escalated=False, due_before=due_before
        ),
    }
    pg = engine.dialect.name == "postgresql"
    for name, filters in cases.items():
        with reads.read(engine) as conn:  # what GET /api/v1/tasks runs
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                reads.list_task_dicts(conn, filters=filters, limit=50, offset=0)
                times.append((time.perf_counter() - t0) * 1000)
            captured.clear()
            event.listen(engine, "before_cursor_execute", grab)
            reads.list_task_dicts(conn, filters=filters, limit=50, offset=0)
            event.remove(engine, "before_cursor_execute", grab)
        print(f"\n--- {name}: in-process list_task_dicts median {statistics.median(times):.1f} ms")
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, params in captured:
                print(statement.strip())
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
                cur.execute(prefix + statement, params)
                for row in cur.fetchall():
                    print("   ", row[0] if pg else row[-1])
        finally:
            raw.close()


async def run_one(db: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Result]:
    secret = secrets.token_urlsafe(32)
    print(f"\n== {db}: migrating and seeding {args.tasks} tasks, {args.users} users", flush=True)
    migrate(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    seeded = seed(engine, args.tasks, args.users, secret, random.Random(2026))
    print(f"   seeded in {time.perf_counter() - t0:.1f} s: {seeded.counts}", flush=True)
    if args.explain:
        explain(engine, seeded)
    engine.dispose()
    results: dict[str, Result] = {}
    with serve(url, secret, args.workers, tmp / f"data-{db}", args.launcher) as server:
        cookie = staff_cookie_name(server, seeded)
        if cookie is None:
            print("   (no staff task page /staff/tasks/{id} in this tree: not measured)")
        for name, make in endpoints(seeded, cookie).items():
            if args.calls and name != "ping" and not any(c in name for c in args.calls):
                continue
            print(f"   {name} ...", end="", flush=True)
            if args.client == "wrk":
                r = wrk.drive(server, name, make, args.clients, args.seconds, args.wrk_threads)
            else:
                r = await drive(server, name, make, args.clients, args.seconds)
            results[name] = r
            print(f" {r.rps:.0f} req/s, p95 {r.pct(95):.1f} ms, {r.cpu_ms:.2f} ms CPU", flush=True)
    return results


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--client", choices=["wrk", "httpx"], default="wrk", help="load generator")
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--users", type=int, default=5_000)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--workers", type=int, default=1, help="API processes (api.serve --workers)")
    p.add_argument(
        "--launcher",
        choices=["api.serve", "uvicorn"],
        default="api.serve",
        help="start the server processes with api.serve (a socket each) or uvicorn --workers",
    )
    p.add_argument("--wrk-threads", type=int, default=1, help="threads of wrk (its -t)")
    p.add_argument(
        "--calls",
        action="append",
        default=None,
        help='only the calls whose name contains this (repeatable: --calls group --calls "one "); '
        "ping, the baseline, always runs",
    )
    p.add_argument("--explain", action="store_true", help="print query plans and timings")
    p.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    args = p.parse_args()
    if args.client == "wrk":
        client = f"{wrk.version()} in its own process, -t{args.wrk_threads} -c{args.clients}"
    else:
        client = f"httpx.AsyncClient x {args.clients}, in the benchmark's process"
    rows: dict[str, dict[str, Result]] = {}
    pg_version = None
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.db in ("sqlite", "both"):
            url = f"sqlite:///{tmp / 'worklist.db'}"
            rows["SQLite"] = asyncio.run(run_one("sqlite", url, args, tmp))
        if args.db in ("postgres", "both"):
            pg = postgres_url(PG_DB)
            if pg is None:
                print(f"\nno PostgreSQL on {PG_HOST}:{PG_PORT}: skipped", file=sys.stderr)
            else:
                rows["PostgreSQL"] = asyncio.run(run_one("postgres", pg, args, tmp))
                with make_engine(pg).connect() as conn:
                    pg_version = str(conn.execute(text("SHOW server_version")).scalar())
                    pg_version = f"PostgreSQL {pg_version}"
    if not rows:
        sys.exit("nothing measured")
    result = table(rows)
    print("\n" + result)
    command_line = ".venv/bin/python bench/worklist.py " + " ".join(sys.argv[1:])
    section = "\n".join(
        [
            "### Latest run (written by bench/worklist.py)",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine(pg_version, args.workers, client, args.launcher)}",
            f"- command: `{command_line.strip()}`",
            f"- data: {args.tasks} tasks, {args.users} users, {args.clients} connections, "
            f"{args.seconds:g} s per call after a 2 s warm-up",
            f"- load average (1, 5, 15 min) before the run: {load_before}, after: {loadavg()}",
            "",
            result,
        ]
    )
    if not args.no_readme:
        print(f"\nwritten to {write_readme(section, 'worklist')}")


if __name__ == "__main__":
    main()
