"""What one idle benefit month costs the case workflow (issue 9 §8), counted, side by side.

    .venv/bin/python bench/idle_month.py [--before REF] [--events RUN]

Runs tests/workflows/test_idle_month.py (an approved case never checked in, nobody deciding
its missed check-ins, six months on the time-skipping server) on this tree and, with
`--before`, on the files of git revision REF (the probe copied in: the same case on the older
workflow code). Counts are of the server's history, so they do not depend on the machine:
workflow tasks, activity tasks, local activities (of them syncs of the read model, each the
whole case state), timers, history events and continue-as-news
per idle month (the mean over the runs that start and end with a missed month), and what
1,000 such cases cost over 24 months. `--events RUN` prints the events of run RUN of each.
The wall time of each pytest run is printed with the load average, for what it is worth."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from sim_lifecycle import tree_of  # noqa: E402

PROBE = Path("tests/workflows/test_idle_month.py")
KEYS = ("workflow tasks", "activity tasks", "local activities", "syncs", "timers", "events")
IDLE = slice(2, 7)  # runs 3..7: a missed month each (run 1: intake to approval; 2: month 1)


def run_probe(tree: Path, out: Path) -> tuple[dict[str, Any], float]:
    if tree != ROOT:
        shutil.copy(ROOT / PROBE, tree / PROBE)
    env = dict(os.environ, IDLE_PROBE=str(out), PYTHONPATH=str(tree))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", str(PROBE), "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        env=env,
        capture_output=True,
        check=False,  # the older code fails the probe's assertions: its figures are written
    )
    seconds = time.perf_counter() - start
    return json.loads(out.read_text()), seconds


def per_month(got: dict[str, Any]) -> dict[str, float]:
    runs = got["runs"][IDLE]
    return {k: sum(r.get(k, 0) for r in runs) / len(runs) for k in (*KEYS, "continue-as-new")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--before", default="", help="also count on this git revision")
    parser.add_argument("--events", type=int, default=0, help="print run RUN's events")
    args = parser.parse_args()
    load = os.getloadavg()
    rows: list[tuple[str, dict[str, Any], float]] = []
    with tempfile.TemporaryDirectory(prefix="idle-month-") as t:
        tmp = Path(t)
        if args.before:
            old = tree_of(args.before, tmp / "before-tree")
            rows.append((args.before, *run_probe(old, tmp / "before.json")))
        rows.append(("this tree", *run_probe(ROOT, tmp / "this.json")))
    end = os.getloadavg()
    print(f"load average (1, 5, 15 min) at start {load}, at end {end}")
    print("\nper idle case-month | " + " | ".join(KEYS) + " | continue-as-new | pytest s")
    print("|---" * (len(KEYS) + 3) + "|")
    means = []
    for name, got, seconds in rows:
        m = per_month(got)
        means.append(m)
        print(
            f"| {name} | "
            + " | ".join(f"{m[k]:.1f}" for k in (*KEYS, "continue-as-new"))
            + f" | {seconds:.1f} |"
        )
    if len(means) == 2:
        print(
            "| ratio | "
            + " | ".join(
                f"{means[1][k] / means[0][k]:.2f}" if means[0][k] else "-"
                for k in (*KEYS, "continue-as-new")
            )
            + " | |"
        )
    print("\n1,000 idle cases x 24 months = 24,000 idle case-months:")
    for (name, _, _), m in zip(rows, means, strict=True):
        print(
            f"  {name}: {m['workflow tasks'] * 24000:,.0f} workflow tasks, "
            f"{m['activity tasks'] * 24000:,.0f} activity tasks, "
            f"{m['local activities'] * 24000:,.0f} local activities, "
            f"{m['events'] * 24000:,.0f} history events"
        )
    if args.events:
        for name, got, _ in rows:
            print(f"\n{name}, run {args.events}:")
            print("\n".join(got["events"][args.events - 1]))
    print("\nper run (all runs):")
    for name, got, _ in rows:
        for i, r in enumerate(got["runs"], 1):
            print(f"  {name} run {i}: " + ", ".join(f"{k} {r.get(k, 0)}" for k in (*KEYS, "bytes")))


if __name__ == "__main__":
    main()
