"""The load harness of the benchmarks: serve the real app under uvicorn in a subprocess, drive
it for a fixed time (with wrk in its own process: wrk.py; or with concurrent httpx clients in
this process: `drive` below), and report throughput, latency percentiles and the server's CPU
time per request, side by side with a trivial endpoint."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import platform
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its direct children (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Server:
    base: str
    pid: int


@contextmanager
def serve(
    url: str, secret: str, workers: int, data_dir: Path, launcher: str = "api.serve"
) -> Iterator[Server]:
    """The real app under uvicorn in a subprocess (CLOCK=real, a Temporal nobody answers on):
    started by `python -m api.serve` (a listening socket per process), or by `uvicorn` itself
    (`launcher="uvicorn"`: one socket shared by its worker processes)."""
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "CLOCK": "real",
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{_free_port()}",  # nobody answers; not needed here
        "DATA_DIR": str(data_dir),
    }
    cmd = [sys.executable, "-m", launcher, *(["api.main:app"] if launcher == "uvicorn" else [])]
    cmd += ["--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    cmd += ["--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start (exit code {proc.poll()})")
            time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


Request = Callable[[random.Random], tuple[str, dict[str, str], dict[str, str]]]


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float = 0.0
    percentiles_ms: dict[float, float] | None = None  # from wrk, which keeps its own histogram

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU (all uvicorn processes) per answered request."""
        return self.server_cpu_s * 1000 / max(1, self.requests + self.errors)

    def pct(self, p: float) -> float:
        if self.percentiles_ms is not None:
            return self.percentiles_ms[p]
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


async def drive(server: Server, name: str, make: Request, clients: int, seconds: float) -> Result:
    """`clients` concurrent clients, one connection each, for a fixed time after a 2 s warm-up."""
    latencies: list[float] = []
    errors = 0
    statuses: set[int] = set()

    async def client(i: int, until: float, record: bool) -> None:
        nonlocal errors
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            while time.perf_counter() < until:
                path, headers, cookies = make(rng)
                http.cookies.clear()
                t0 = time.perf_counter()
                resp = await http.get(path, headers=headers, cookies=cookies or None)
                await resp.aread()
                ms = (time.perf_counter() - t0) * 1000
                if not record:
                    continue
                if resp.status_code == 200:
                    latencies.append(ms)
                else:
                    errors += 1
                    statuses.add(resp.status_code)

    warm = time.perf_counter() + 2
    await asyncio.gather(*(client(i, warm, False) for i in range(clients)))
    cpu0, start = cpu_seconds(server.pid), time.perf_counter()
    await asyncio.gather(*(client(i, start + seconds, True) for i in range(clients)))
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(server.pid) - cpu0
    if errors:
        print(f"  ! {name}: {errors} non-200 answers {sorted(statuses)}", file=sys.stderr)
    return Result(name, len(latencies), errors, elapsed, latencies, cpu)


def table(rows: dict[str, dict[str, Result]]) -> str:
    lines = [
        "| database | call | req/s | p50 ms | p95 ms | p99 ms | p95 vs ping | req/s vs ping "
        "| server CPU ms/req | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for db, results in rows.items():
        ping = results["ping"]
        for r in results.values():
            lines.append(
                f"| {db} | {r.name} | {r.rps:.0f} | {r.pct(50):.1f} | {r.pct(95):.1f} | "
                f"{r.pct(99):.1f} | {r.pct(95) / ping.pct(95):.1f}× | {r.rps / ping.rps:.2f} | "
                f"{r.cpu_ms:.2f} | {r.errors} |"
            )
    return "\n".join(lines)


def _http_stack() -> str:
    fast = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m)]
    return " + ".join(fast) if fast else "asyncio + h11"


def _server(launcher: str, workers: int) -> str:
    if launcher == "api.serve":
        return f"python -m api.serve --workers {workers} (uvicorn, a listening socket each)"
    return f"uvicorn --workers {workers}"


def machine(
    pg_version: str | None, workers: int, client: str | None = None, launcher: str = "uvicorn"
) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB",
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        f"{_server(launcher, workers)}, {_http_stack()} (client and server on the same machine)",
    ]
    if client:
        parts.append(f"load generator: {client}")
    if pg_version:
        parts.append(pg_version)
    return "; ".join(parts)


def write_readme(section: str, name: str) -> Path:
    """Put `section` between the `<!-- name:begin/end -->` markers of bench/README.md."""
    readme = ROOT / "bench" / "README.md"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text_ = readme.read_text()
    block = f"{begin}\n{section}\n{end}"
    if begin in text_ and end in text_:
        head, rest = text_.split(begin, 1)
        text_ = head + block + rest.split(end, 1)[1]
    else:
        text_ = text_.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text_)
    return readme
