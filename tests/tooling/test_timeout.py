"""pytest-timeout under the project's pytest settings: a hung test (sync, or awaiting on the shared
session event loop) fails instead of hanging the run, and the tests after it still run."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HUNG_TESTS = """
import asyncio
import time


async def test_awaits_forever():
    await asyncio.sleep(3600)


def test_sleeps_forever():
    time.sleep(3600)


async def test_after_the_hung_ones_still_runs():
    await asyncio.sleep(0)
"""


def test_a_hung_test_fails_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hung.py").write_text(HUNG_TESTS)
    # PYTEST_TIMEOUT is the documented override of the configured default (pyproject.toml)
    env = {**os.environ, "PYTEST_TIMEOUT": "3"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml")]
        + ["-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path / "test_hung.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert "Timeout (>3.0s)" in out, out


def test_the_default_fails_a_hung_test_within_minutes() -> None:
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 60 <= float(ini["timeout"]) <= 600
