"""`make soak`'s randomized fault runs: `python -m tests.faults.soak` (APP_ENV=test).

SOAK_RUNS (default 1000) payment runs in rounds of SOAK_ROUND (25) on one stack, each round
with a medical declaration and SOAK_DENSITY faults on average (default 4), SOAK_SEED
(default: the time) making the schedule again; prints each round and then runs, faults by
kind, duplicates and losses; exit code 1 when any invariant broke. The stack's files stay in
SOAK_DIR (default a temporary directory) for a look afterwards; SOAK_MINUTES starts no new
round after that many minutes (the figures say how many runs were made)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.conftest import ROOT
from tests.faults import medical
from tests.faults.schedule import (
    DENSITY,
    Tally,
    bank_transactions,
    normal,
    one_round,
    reconcile_days,
)
from tests.faults.stack import fault_stack


def say(*parts: object) -> None:
    """The soak's figures, on standard output as they come."""
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def commit() -> str:
    out = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=12", "--exclude", "*"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip() or "unknown"


async def soak(
    total: int, per_round: int, seed: int, directory: Path, minutes: float = 0,
    density: float = DENSITY,
) -> Tally:  # fmt: skip
    """Rounds until `total` runs, or (minutes > 0) no new round after that many minutes."""
    rng = random.Random(seed)
    overall = Tally()
    started = time.monotonic()
    with fault_stack(directory) as stack:
        stack.start_worker()
        client = await stack.connect()
        n = 0
        while overall.runs < total:
            if minutes and time.monotonic() - started > minutes * 60:
                say(f"time limit ({minutes:g} min): no more rounds")
                break
            size = min(per_round, total - overall.runs)
            tally = await one_round(stack, rng, f"S{seed % 1000}R{n:04d}", size, density=density)
            n += 1
            overall.runs += tally.runs
            overall.payments += tally.payments
            overall.faults += tally.faults
            overall.declarations += tally.declarations
            overall.covers += tally.covers
            overall.transfers += tally.transfers
            overall.verdict.add(tally.verdict)
            say(
                f"round {n}: {tally.line()} in {tally.seconds:.0f} s "
                f"({', '.join(f'{k} {v:.0f}' for k, v in tally.phases.items())}); "
                f"faults {dict(tally.faults)}"
            )
            for p in tally.verdict.problems:
                say("  ", p)
            say(f"  so far: {overall.line()}, {time.monotonic() - started:.0f} s")
        await normal(stack)
        overall.verdict.add(await reconcile_days(stack, client, f"soak{seed}"))
        # every cover over every month declared: the earlier rounds' covers continued in the
        # later declarations, each month once, each premium paid once
        final = await medical.check_medical(
            stack, client, set(stack.medical_cases), stack.declared_months(),
            await bank_transactions(stack),
        )  # fmt: skip
        for p in final.problems:  # those a round has not reported already
            if p not in overall.verdict.problems:
                say("  ", p)
                overall.verdict.problems.append(p)
                if p.startswith("DUPLICATE"):
                    overall.verdict.duplicates += 1
                else:
                    overall.verdict.losses += 1
    overall.seconds = time.monotonic() - started
    return overall


def main() -> int:
    total = int(os.environ.get("SOAK_RUNS", "1000"))
    per_round = int(os.environ.get("SOAK_ROUND", "25"))
    seed = int(os.environ.get("SOAK_SEED", str(int(time.time()))))
    minutes = float(os.environ.get("SOAK_MINUTES", "0"))
    density = float(os.environ.get("SOAK_DENSITY", str(DENSITY)))
    keep = os.environ.get("SOAK_DIR")
    directory = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="soak-"))
    directory.mkdir(parents=True, exist_ok=True)
    say(
        f"soak: {total} runs, rounds of {per_round}, {density:g} faults a round, seed {seed},"
        f" files in {directory}"
    )
    version = commit()  # the code that runs (the tree may change while it does)
    result = asyncio.run(soak(total, per_round, seed, directory, minutes, density))
    v = result.verdict
    figures = {
        "commit": version,
        "seed": seed,
        "runs": result.runs,
        "payments": result.payments,
        "density": density,
        "medical_declarations": result.declarations,
        "medical_covers": result.covers,
        "transfers": result.transfers,
        "paid": v.paid,
        "cancelled": v.cancelled,
        "faults": sum(result.faults.values()),
        "faults_by_kind": dict(sorted(Counter(result.faults).items())),
        "duplicates": v.duplicates,
        "losses": v.losses,
        "problems": len(v.problems),
        "seconds": round(result.seconds),
    }
    say(json.dumps(figures, indent=2, ensure_ascii=False))
    say(
        f"runs {result.runs}, faults {figures['faults']}, duplicates {v.duplicates}, "
        f"losses {v.losses}"
    )
    return 1 if v.duplicates or v.losses or v.problems else 0


if __name__ == "__main__":
    sys.exit(main())
