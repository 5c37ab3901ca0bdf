"""The month-cycle benchmark's variants at a tiny scale (issues 11 and 12), so the code the
figures in bench/README.md come from cannot rot: the whole stack (Temporal dev server, API,
worker, simulated bank and agency) runs 5 cases with stop events on 2 of them and the
region's medical declaration. Nothing about time is asserted: only that the cycle went
through the real paths and the report says what each variant did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(1200)
def test_month_cycle_with_stop_events_and_medical_declaration() -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "month_cycle.py"), "--cases", "5",
           "--stop-fraction", "0.4", "--medical", "--timeout", "600", "--no-readme"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")}
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1100)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    # the stop events went through the API and each case settled (month 2 prorated)
    assert "Variant: stop events: 2 of 5 cases" in out, out[-4000:]
    assert "month-2 payments prorated: 2." in out, out[-4000:]
    assert "| 2b stop events (API Update, settled: closed) |" in out
    # one declaration batch for the region's month, every covered case's premium owed
    medical = re.search(r"Variant: medical declaration: (\d+) lines accepted, (\d+) premiums", out)
    assert medical is not None, out[-4000:]
    assert int(medical.group(1)) >= 5 and int(medical.group(2)) == 5
    assert "calls to the agency in the cycle: 1 (POST /declarations: 1)" in out
    # the payment run paid benefits and premiums together; the floor ran as many activities
    rows = re.findall(r"^\| (month cycle|empty workflows \(floor\)) \| (\d+) \|", out, re.M)
    assert len(rows) == 2 and rows[0][1] == rows[1][1], rows
    assert "| settle_stop | 2 |" in out and "| declare_batch | 1 |" in out
