"""Payment-run benchmark (issue 4): gather, build, submit and settle a run of 100,000 payments
against the simulated bank over real HTTP, with the real payment activities, side by side with
a baseline (serialising the same rows to JSON) in the same run.

    .venv/bin/python bench/payment_run.py [--payments 100000] [--db sqlite|postgres]
        [--returned 0.001] [--no-readme]

Migrates a fresh SQLite file (or the scratch PostgreSQL database `ui_bench`) with Alembic,
bulk-inserts pending obligations of one region (not timed), then calls PaymentActivities
directly (outside a worker): gather_run, submit_run (query, pain.001, POST /pain001), the
bank's settlement (its ManualClock advanced past settle_hours, then POST /admin/settle), and
poll_run (GET /status/{run}) + apply_statuses. A share of creditor accounts is closed at the
bank, so the return path (RJCT AC04) is exercised too. Run on demand, never in the tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, col, select
from stdnum import luhn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import machine, write_readme  # noqa: E402
from worklist_data import GIVEN, SURNAMES, migrate, postgres_url  # noqa: E402

from activities.ledger import end_to_end_id  # noqa: E402
from activities.payments import PaymentActivities, status_updates  # noqa: E402
from bank.clock import ManualClock  # noqa: E402
from bank.config import BankConfig  # noqa: E402
from bank.testing import serve_bank  # noqa: E402
from core.settings import Settings  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.models import Payment  # noqa: E402
from iso20022.pain001 import build_pain001, parse_pain001  # noqa: E402
from payloads.payments import ApplyInput, GatherInput, RunInput  # noqa: E402
from policy import default_policy_book  # noqa: E402
from workflows.claim import ClaimWorkflow  # noqa: E402

REGION = "220100"
SETTLE_HOURS = 2.0
START = datetime(2024, 1, 15, 1, 0, tzinfo=UTC)  # the bank's ManualClock and the run's time
BANK_CODES = ["102100099996", "103100000026", "104100000004", "105100000017"]

T = TypeVar("T")
SUB = "↳ in submit_run: "  # a part of submit_run timed apart, not counted in the total


def timed(phases: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    t0 = time.perf_counter()
    result = fn()
    phases[name] = time.perf_counter() - t0
    print(f"  {name}: {phases[name]:.2f} s", flush=True)
    return result


def seed_payments(engine: Engine, n: int, returned: float, rng: random.Random) -> list[str]:
    """Bulk-insert n pending benefit obligations of one region; the accounts to close."""
    table = SQLModel.metadata.tables["payments"]
    period = date(2023, 12, 1)
    rows: list[dict[str, Any]] = []
    closed: list[str] = []
    for i in range(n):
        case_id = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=20))
        body = f"6222{i:014d}"
        account = body + luhn.calc_check_digit(body)  # the bank checks the Luhn digit
        if rng.random() < returned:
            closed.append(account)
        rows.append(
            dict(
                case_id=case_id,
                region_code=REGION,
                month=1,
                period_start=period,
                period_end=date(2023, 12, 31),
                category="benefit",
                amount=Decimal(rng.randrange(150000, 250000)) / 100,
                status="pending",
                attempt=1,
                end_to_end_id=end_to_end_id(case_id, 1, "benefit", 1),
                run_id=None,
                bank_code=rng.choice(BANK_CODES),
                account_number=account,
                account_name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                created_at=START - timedelta(days=1),
                updated_at=START - timedelta(days=1),
            )
        )
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(table.insert(), rows[start : start + 5000])
        if engine.dialect.name != "sqlite":
            conn.execute(text("ANALYZE"))
    return closed


def baseline(engine: Engine) -> tuple[float, int]:
    """Read the same rows with plain SQL and serialise them to JSON: the yardstick."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM payments"))]
    size = len(json.dumps(rows, default=str, ensure_ascii=False))
    return time.perf_counter() - t0, size


def run(args: argparse.Namespace, url: str, tmp: Path) -> dict[str, Any]:
    rng = random.Random(4)
    migrate(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    closed = seed_payments(engine, args.payments, args.returned, rng)
    seed_s = time.perf_counter() - t0
    print(f"  seed ({args.payments} obligations, not timed in the target): {seed_s:.2f} s")
    base_s, base_bytes = baseline(engine)
    print(f"  baseline (SELECT + json.dumps of the rows): {base_s:.2f} s")

    clock = ManualClock(START)
    config = BankConfig(
        db_path=tmp / "bank.db",
        settle_hours=SETTLE_HOURS,
        closed_accounts=frozenset(closed),
        tick_seconds=3600,  # settlement only when asked (POST /admin/settle)
    )
    phases: dict[str, float] = {}
    run_id = f"bench-{secrets.token_hex(4)}"
    with serve_bank(config, clock) as bank:
        settings = Settings(app_env="test", database_url=url, bank_url=bank.url)
        acts = PaymentActivities(
            engine, settings, default_policy_book(), tell_case=ClaimWorkflow.payment_update
        )
        summary = timed(
            phases,
            "gather_run",
            lambda: acts.gather_run(GatherInput(run_id, REGION, date(2024, 1, 1), START)),
        )
        assert summary.count == args.payments, summary

        # what submit_run does before its POST, and the bank's parse, timed on their own
        # (not counted in the total)
        pain = timed(
            phases, SUB + "load the run's transfers (SQL Core)", lambda: acts.message(run_id)
        )
        message = timed(phases, SUB + "build pain.001 XML", lambda: build_pain001(pain))
        timed(phases, SUB + "the bank's parse of the pain.001", lambda: parse_pain001(message))
        sent = timed(
            phases,
            "submit_run",
            lambda: asyncio.run(acts.submit_run(RunInput(run_id, START))),
        )
        assert sent.sent == args.payments, sent

        def settle() -> int:
            clock.advance(timedelta(hours=SETTLE_HOURS, minutes=1))
            resp = httpx.post(f"{bank.url}/admin/settle", timeout=600)
            resp.raise_for_status()
            return int(resp.json()["settled"])

        settled = timed(phases, "bank settlement (POST /admin/settle)", settle)
        at = START + timedelta(hours=SETTLE_HOURS, minutes=1)
        statuses = timed(
            phases,
            "status fetch (GET /status, parse pain.002)",
            lambda: status_updates(
                httpx.get(f"{bank.url}/status/{run_id}", timeout=600).raise_for_status().content
            ),
        )
        applied = timed(
            phases,
            "apply_statuses",
            lambda: asyncio.run(acts.apply_statuses(ApplyInput(run_id, at, statuses))),
        )
        assert applied.outstanding == 0, applied
        wall = sum(s for name, s in phases.items() if not name.startswith(SUB))
    with Session(engine) as session:
        by_status = dict(
            session.exec(select(Payment.status, func.count()).group_by(col(Payment.status))).all()
        )
    engine.dispose()
    return dict(
        phases=phases,
        wall=wall,
        seed_s=seed_s,
        baseline_s=base_s,
        baseline_bytes=base_bytes,
        message_bytes=len(message),
        settled=settled,
        statuses=len(statuses),
        changes=applied.settled + len(applied.returned),
        by_status=by_status,
        closed=len(closed),
        peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def report(args: argparse.Namespace, db: str, r: dict[str, Any], command: str) -> str:
    n = args.payments
    lines = [
        "| phase | seconds | payments/s | × baseline |",
        "|---|--:|--:|--:|",
    ]
    order: list[str] = []
    for name in r["phases"]:
        if not name.startswith(SUB):
            order.append(name)
            if name == "submit_run":  # its parts, timed apart, go under it
                order += [k for k in r["phases"] if k.startswith(SUB)]
    for name in order:
        s = r["phases"][name]
        lines.append(f"| {name} | {s:.2f} | {n / s:,.0f} | {s / r['baseline_s']:.1f}× |")
    total = r["wall"]
    lines.append(
        f"| **whole run** (gather → applied, sum of the phases above without the ↳ rows) | "
        f"**{total:.2f}** | **{n / total:,.0f}** | **{total / r['baseline_s']:.1f}×** |"
    )
    lines.append(
        f"| baseline: SELECT the rows + json.dumps ({r['baseline_bytes'] / 2**20:.0f} MiB) | "
        f"{r['baseline_s']:.2f} | {n / r['baseline_s']:,.0f} | 1.0× |"
    )
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    verdict = "met" if total < 60 else "missed"
    return "\n".join(
        [
            "### Latest run (written by bench/payment_run.py)",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: `nproc` = {nproc}; {machine(None, 1).rsplit('; uvicorn', 1)[0]}",
            f"- command: `{command}`",
            f"- database: {db}; {n:,} obligations of region {REGION} (seeded in "
            f"{r['seed_s']:.1f} s, not timed); bank over HTTP in-process (uvicorn thread), "
            f"ManualClock, settle_hours {SETTLE_HOURS:g}; {r['closed']} accounts closed at the "
            "bank (returned AC04)",
            f"- pain.001: {r['message_bytes'] / 2**20:.0f} MiB; bank settled {r['settled']:,}; "
            f"pain.002 statuses {r['statuses']:,}; changes applied {r['changes']:,}; "
            f"ledger after: {r['by_status']}",
            f"- peak memory of the process (app side and bank thread together): "
            f"{r['peak_mib']:.0f} MiB",
            f"- target (whole run < 60 s): **{verdict}** ({total:.1f} s)",
            "",
            *lines,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--returned", type=float, default=0.001, help="share of closed accounts")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    command = "python bench/payment_run.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="payment-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.db == "postgres":
            url = postgres_url()
            if url is None:
                sys.exit("PostgreSQL does not answer on 127.0.0.1:5432")
            db = "PostgreSQL"
        else:
            url, db = f"sqlite:///{tmp / 'bench.db'}", "SQLite"
        print(f"{db}: {args.payments} payments")
        result = run(args, url, tmp)
    section = report(args, db, result, command.strip())
    print()
    print(section)
    if not args.no_readme:
        print(f"\nwritten to {write_readme(section, f'payment-run-{args.db}')}")


if __name__ == "__main__":
    main()
