"""Simulated-clock benchmark (issue 9 §8): the wall time of one 24-month case driven through
the REST API in simulated time (intake, review, a check-in each month, each payout day's run
released by finance, until the 24th payment has settled), on the stack `make run
CLOCK=simulated` starts (scripts/run_stack.py: the time-skipping server, the bank, the medical
agency, the SMTP sink, the worker, the API), alone and with N other active cases on it, side
by side with the floor: a bare time-skipping server moved over as many simulated days, a day
per call, with nothing running on it.

    .venv/bin/python bench/sim_lifecycle.py [--others 1000] [--before REF] [--no-readme]
    .venv/bin/python bench/sim_lifecycle.py --idle 120 [--before REF]   # a quick probe

`--before REF` also times the lone case on the tree of a git revision (`git archive`, run
with this venv) in the same run. `--idle DAYS` times only the stack with no case moved over
DAYS (and, with `--before`, the old tree's), printed, not written to the README. Run on
demand, never in the tests."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pyotp
from google.protobuf.duration_pb2 import Duration
from stdnum.cn import ric
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import machine, write_readme  # noqa: E402
from month_cycle_stack import snapshot  # noqa: E402

from db.seed import DEMO_TOTP_ROLES, DEMO_TOTP_SECRET  # noqa: E402
from domain.calendar import AGENCY_TZ  # noqa: E402
from domain.entitlement import benefit_month_period  # noqa: E402
from tests.utils import factories as f  # noqa: E402

MONTHS = 24
CONTRIBUTION_MONTHS = 130  # 10 years and more: 24 months (社会保险法 art. 46)
PAYOUT = dtime(9, 30)  # the run starts at 09:00 on the payout day (policy: the 10th)
ADVANCE = "/api/v1/sim/clock/advance"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimStack:
    """`scripts/run_stack.py` with CLOCK=simulated on free ports, from `tree`."""

    def __init__(self, tree: Path, data: Path) -> None:
        self.ports = {
            n: free_port()
            for n in ("API_PORT", "TEMPORAL_PORT", "SMTP_PORT", "BANK_PORT", "MEDAGENCY_PORT")
        }
        env = {**os.environ, **{k: str(v) for k, v in self.ports.items()}}
        env.update(CLOCK="simulated", DEMO_CASES="0", DATA_DIR=str(data), APP_ENV="development")
        env.pop("DATABASE_URL", None)
        self.log = (data.parent / f"{data.name}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(tree / "scripts" / "run_stack.py")],
            cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.ports['API_PORT']}"

    def wait_ready(self) -> None:
        for _ in range(1200):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the stack exited ({self.proc.returncode}): see {self.log.name}"
                )
            if b"Ready (CLOCK=" in Path(self.log.name).read_bytes():
                return
            time.sleep(0.25)
        raise RuntimeError(f"the stack did not start: see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


async def token(web: httpx.AsyncClient, user: str) -> dict[str, str]:
    """A demo user's bearer token; finance gives the demo TOTP code (db/seed.py)."""
    form = {"username": user, "password": user}
    if user in DEMO_TOTP_ROLES:
        form["otp"] = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    r = await web.post("/api/v1/auth/token", data=form)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def sim_now(web: httpx.AsyncClient, h: dict[str, str]) -> datetime:
    r = await web.get("/api/v1/sim/clock", headers=h)
    r.raise_for_status()
    return datetime.fromisoformat(r.json()["now"])


async def advance_to(
    web: httpx.AsyncClient, h: dict[str, str], now: datetime, at: datetime
) -> datetime:
    """Move the clock to `at` through the API (a 202's job polled to its end; older trees
    answer 200 when done)."""
    if at <= now:
        return now
    days = (at - now).total_seconds() / 86400
    r = await web.post(ADVANCE, params={"wait": 300}, json={"days": days}, headers=h)
    if r.status_code not in (200, 202):
        raise RuntimeError(f"advance answered {r.status_code}: {r.text}")
    job = r.json()
    while job.get("status", "done") == "running":
        await asyncio.sleep(0.05)
        job = (await web.get(f"/api/v1/sim/clock/jobs/{job['job_id']}", headers=h)).json()
    if job.get("status", "done") != "done":
        raise RuntimeError(f"advance failed: {job}")
    return datetime.fromisoformat(job["now"])


async def open_case(
    web: httpx.AsyncClient, clerk: dict[str, str], reviewer: dict[str, str], nid: str, sep: date
) -> str:
    """Employer report, registration, and the reviewer's approval, through the API."""
    report = f.employer_report_json(nid, sep, contribution_months=CONTRIBUTION_MONTHS)
    r = await web.post("/api/v1/employer-reports", json=report, headers=clerk)
    assert r.status_code == 201, r.text
    case_id = str(r.json()["case_id"])
    r = await web.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    assert r.status_code == 201, r.text
    params = {"case_id": case_id, "kind": "review_claim"}
    for _ in range(6000):
        tasks = (await web.get("/api/v1/tasks", params=params, headers=reviewer)).json()
        if tasks:
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError(f"no review task for {case_id}")
    r = await web.post(
        f"/api/v1/tasks/{tasks[0]['task_id']}/complete",
        json={"outcome": "approve", "reason": "benchmark"},
        headers=reviewer,
    )
    assert r.status_code == 200, r.text
    return case_id


async def case_when(
    web: httpx.AsyncClient, h: dict[str, str], case_id: str, ok: Any
) -> dict[str, Any]:
    for _ in range(6000):
        r = await web.get(f"/api/v1/cases/{case_id}", headers=h)
        if r.status_code == 200 and ok(r.json()):
            return dict(r.json())
        await asyncio.sleep(0.01)
    raise RuntimeError(f"case {case_id}: {r.text[:500]}")


async def release_open_runs(web: httpx.AsyncClient, finance: dict[str, str]) -> int:
    params = {"kind": "payment_run_release", "status": "open"}
    tasks = (await web.get("/api/v1/tasks", params=params, headers=finance)).json()
    for t in tasks:
        r = await web.post(
            f"/api/v1/tasks/{t['task_id']}/complete", json={"outcome": "release"}, headers=finance
        )
        assert r.status_code == 200, r.text
    return len(tasks)


async def make_others(web: httpx.AsyncClient, n: int, sep: date, concurrency: int = 16) -> None:
    clerk, reviewer = await token(web, "clerk"), await token(web, "reviewer")
    todo = iter(range(n))

    async def one_by_one() -> None:
        for i in todo:
            body = f"220102{date(1975, 1, 1) + timedelta(days=11 * i):%Y%m%d}{100 + i % 2:03d}"
            nid = body + ric.calc_check_digit(body + "0")  # both sexes, a birthday each
            await open_case(web, clerk, reviewer, nid, sep)

    await asyncio.gather(*(one_by_one() for _ in range(concurrency)))


async def lifecycle(url: str, others: int) -> dict[str, Any]:
    """One 24-month case through the API; (others) active cases made first, not timed."""
    async with httpx.AsyncClient(base_url=url, timeout=600) as web:
        clerk, reviewer = await token(web, "clerk"), await token(web, "reviewer")
        finance, admin = await token(web, "finance"), await token(web, "admin")
        now = await sim_now(web, clerk)
        sep = now.astimezone(AGENCY_TZ).date() - timedelta(days=2)
        if others:
            t0 = time.perf_counter()
            await make_others(web, others, sep)
            print(f"    {others} other active cases made in {time.perf_counter() - t0:.0f} s")
            now = await sim_now(web, clerk)
        counts = {"advances": 0, "check-ins": 0, "releases": 0}
        start = time.perf_counter()
        case_id = await open_case(
            web, clerk, reviewer, f.national_id_of("man", date(1980, 5, 5)), sep
        )
        case = await case_when(web, clerk, case_id, lambda c: c["entitlement"] is not None)
        begin = date.fromisoformat(case["entitlement"]["start_date"])
        assert case["entitlement"]["months"] == MONTHS, case["entitlement"]
        # the moments something is to be done: each month's check-in (its second day, noon),
        # each payout day after a run started; then until all 24 months have settled
        moments: list[tuple[datetime, str]] = []
        for m in range(1, MONTHS + 1):
            s, _e = benefit_month_period(begin, m)
            moments.append(
                (datetime.combine(s + timedelta(days=1), dtime(12), AGENCY_TZ), "check-in")
            )
        first = begin.replace(day=10)
        for k in range(MONTHS + 3):
            y, mo = divmod(first.month - 1 + k, 12)
            moments.append(
                (datetime.combine(date(first.year + y, mo + 1, 10), PAYOUT, AGENCY_TZ), "payout")
            )
        moments.sort()
        settled = 0
        for at, what in moments:
            now = await advance_to(web, admin, now, at)  # admins only (since 2026-11-30)
            counts["advances"] += 1
            if what == "check-in":
                r = await web.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk)
                assert r.status_code in (201, 409), (
                    r.text
                )  # 409: month 1, checked in at registration
                counts["check-ins"] += r.status_code == 201
            else:
                counts["releases"] += await release_open_runs(web, finance)
                # the bank settles a day after acceptance: look on the next payout moment
                case = (await web.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
                settled = sum(  # the benefit's; a month may also pay e.g. medical insurance
                    p["status"] == "settled" and p.get("category", "benefit") == "benefit"
                    for p in case["payments"]
                )
                took = time.perf_counter() - start
                print(f"    {at.date()}: {settled} settled, {took:.0f} s", flush=True)
                if settled >= MONTHS:
                    break
        if settled < MONTHS:
            raise RuntimeError(f"only {settled} of {MONTHS} months settled: {case['payments']}")
        seconds = time.perf_counter() - start
        days = (now - datetime.combine(sep, dtime(0), AGENCY_TZ)).days
    return {"seconds": seconds, "simulated days": days, **counts}


async def floor(days: int) -> float:
    """A bare time-skipping server (nothing on it) moved `days` on, a day per call."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "temporal-test-server"), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(400):
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                break
            except Exception:
                await asyncio.sleep(0.05)
        start = time.perf_counter()
        for _ in range(days):
            d = Duration()
            d.FromSeconds(86400)
            await client.test_service.unlock_time_skipping_with_sleep(SleepRequest(duration=d))
        return time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()


def tree_of(ref: str, dest: Path) -> Path:
    """The files of git revision `ref` (no worktree, no checkout)."""
    data = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


async def idle(url: str, days: int) -> dict[str, Any]:
    """The stack with no case at all moved over `days` in one advance: what its own timers
    (payout and medical calendars of every region, the daily reconciliation) cost."""
    async with httpx.AsyncClient(base_url=url, timeout=600) as web:
        h = await token(web, "admin")
        now = await sim_now(web, h)
        start = time.perf_counter()
        await advance_to(web, h, now, now + timedelta(days=days))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "simulated days": days, "advances": 1, "check-ins": 0}


def stack_cpu(root: int) -> dict[str, float]:
    """CPU seconds (user + system) of `root`'s descendant processes so far, by program."""
    procs: dict[int, tuple[int, str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        prog = next((a.decode() for a in argv[1:3] if a and not a.startswith(b"-")), "")
        name = Path(prog or argv[0].decode()).name if prog != "-m" else ""
        if len(argv) > 2 and argv[1] == b"-m":
            name = argv[2].decode()
        if not Path(argv[0].decode()).name.startswith("python"):  # the test server
            name = Path(argv[0].decode()).name
        cpu = (int(fields[11]) + int(fields[12])) / tick
        procs[int(entry)] = (int(fields[1]), name or Path(argv[0].decode()).name, cpu)
    keep, grew = {root}, True
    while grew:
        grew = False
        for pid, (parent, _, _) in procs.items():
            if parent in keep and pid not in keep:
                keep.add(pid)
                grew = True
    out: dict[str, float] = {}
    for pid in keep - {root}:
        if pid in procs:
            _, name, cpu = procs[pid]
            out[name] = out.get(name, 0.0) + cpu
    return out


def measure(tree: Path, tmp: Path, name: str, others: int, idle_days: int = 0) -> dict[str, Any]:
    print(f"==> {name}")
    stack = SimStack(tree, tmp / name)
    try:
        stack.wait_ready()
        if idle_days:
            got = asyncio.run(idle(stack.url, idle_days))
        else:
            got = asyncio.run(lifecycle(stack.url, others))
        # the stack's CPU from its start (the others' opening included), by process
        got["cpu"] = cpu = stack_cpu(stack.proc.pid)
        print("    CPU s: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items())))
    except BaseException:
        kept = Path(tempfile.gettempdir()) / f"sim_lifecycle-{name}.log"
        shutil.copy(stack.log.name, kept)
        print(f"    failed: the stack's log is kept in {kept}")
        raise
    finally:
        stack.stop()
    print(f"    {got}")
    return got


def probe(days: int, before: str) -> None:
    """The idle stack over `days`, on the tree of `before` (if given) and on this one."""
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sim-lifecycle-") as t:
        tmp = Path(t)
        rows = []
        if before:
            old = tree_of(before, tmp / "before-tree")
            rows.append((before, measure(old, tmp, "idle-before", 0, days)))
        tree = snapshot(tmp / "tree")
        rows.append(("this tree", measure(tree, tmp, "idle", 0, days)))
    print(f"load average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    for name, r in rows:
        print(f"idle stack, {days} simulated days, {name}: {r['seconds']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--others", type=int, default=1000, help="other active cases (0: skip)")
    parser.add_argument(
        "--before", default="", help="also time the lone case (and the others) on this revision"
    )
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--idle", type=int, default=0, help="only the idle stack, over DAYS")
    args = parser.parse_args()
    if args.idle:
        probe(args.idle, args.before)
        return
    load_before = os.getloadavg()
    rows: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="sim-lifecycle-") as t:
        tmp = Path(t)
        if args.before:
            old = tree_of(args.before, tmp / "before-tree")
            rows.append((f"one case, code of {args.before}", measure(old, tmp, "before", 0)))
        tree = snapshot(tmp / "tree")  # this tree's code, as it is now (others edit it)
        rows.append(("one case", measure(tree, tmp, "alone", 0)))
        days = rows[-1][1]["simulated days"]
        rows.append(("no case (the stack's own timers)", measure(tree, tmp, "idle", 0, days)))
        if args.others:
            name = f"one case + {args.others:,} active"
            if args.before:  # the same stack on the older code, side by side
                got = measure(old, tmp, "others-before", args.others)
                rows.append((f"{name}, code of {args.before}", got))
            rows.append((name, measure(tree, tmp, "others", args.others)))
        days = max(r["simulated days"] for _, r in rows)
        floor_s = asyncio.run(floor(days))
    load_after = os.getloadavg()
    cmd = " ".join(["bench/sim_lifecycle.py", *sys.argv[1:]])
    lines = [
        "### Latest run (written by bench/sim_lifecycle.py)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine(None, 1)}",
        "- load average (1, 5, 15 min) at start and end: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + " / "
        + ", ".join(f"{x:.2f}" for x in load_after),
        f"- command: `.venv/bin/python {cmd}`",
        "",
        "| measurement | seconds | vs floor | simulated days | advances | check-ins | releases |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]  # fmt: skip
    for name, r in rows:
        ratio = r["seconds"] / floor_s
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {ratio:.1f}× | {r['simulated days']} "
            f"| {r['advances']} | {r['check-ins']} | {r.get('releases', 0)} |"
        )
    floor_name = f"floor: a bare test server, {days} days, a day per call"
    lines.append(f"| {floor_name} | {floor_s:.1f} | 1.0× | {days} | {days} | | |")
    lines.append("")
    for name, r in rows:  # CPU seconds of the stack's processes (others' opening included)
        if r.get("cpu"):
            cpu = ", ".join(
                f"{k} {v:.1f}" for k, v in sorted(r["cpu"].items(), key=lambda kv: -kv[1])
            )
            lines.append(f"- CPU s, {name}: {cpu}")
    section = "\n".join(lines)
    print(section)
    if not args.no_readme:
        print(f"\nwritten to {write_readme(section, 'sim-lifecycle')}")


if __name__ == "__main__":
    main()
