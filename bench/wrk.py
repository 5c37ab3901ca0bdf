"""The wrk load generator of the benchmarks: `wrk` (C, Debian package `wrk`) in its own process,
driven by wrk.lua, which rotates through pre-built requests (per-user tokens and paths) and
prints wrk's own latency percentiles and counts; parsed here into a load.Result."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from load import Request, Result, Server, cpu_seconds

SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
RESULT_LINE = re.compile(r"^WRK_RESULT (.*)$", re.MULTILINE)


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (Debian package `wrk`) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get"):
        print("   wrk missing: apt-get install -y wrk", file=sys.stderr, flush=True)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "update"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk not found: install the Debian package `wrk`, or use --client httpx")
    return found


def version() -> str:
    out = subprocess.run([ensure_wrk(), "-v"], capture_output=True, text=True)
    first = (out.stdout or out.stderr).splitlines()[0]
    return " ".join(first.split()[:2])  # "wrk debian/4.1.0-3+b2"


def request_file(make: Request, n: int, folder: Path, name: str) -> Path:
    """`n` requests from `make`, one line each: path, header name, header value (tab-separated)."""
    rng = random.Random(2026)
    lines = []
    for _ in range(n):
        path, headers, cookies = make(rng)
        pairs = list(headers.items())
        if cookies:
            pairs.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
        if len(pairs) > 1:
            raise ValueError("wrk.lua sends at most one header per request")
        header, value = pairs[0] if pairs else ("", "")
        lines.append(f"{path}\t{header}\t{value}")
    out = folder / f"requests-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.txt"
    out.write_text("\n".join(lines) + "\n")
    return out


def check(server: Server, file: Path, sample: int = 20) -> None:
    """wrk counts only 4xx/5xx as errors: make sure a sample of the requests answers 200."""
    lines = file.read_text().splitlines()
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as http:
        for line in random.Random(7).sample(lines, min(sample, len(lines))):
            path, header, value = line.split("\t", 2)
            resp = http.get(path, headers={header: value} if header else {})
            if resp.status_code != 200:
                raise RuntimeError(f"{path} answered {resp.status_code}, not 200")


def run(server: Server, file: Path, clients: int, seconds: float, threads: int) -> dict[str, int]:
    cmd = [ensure_wrk(), f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s"]
    cmd += ["--timeout", "30s", "-s", str(SCRIPT), server.base]
    out = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "WRK_REQUESTS": str(file)}
    )
    match = RESULT_LINE.search(out.stdout)
    if out.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    return {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}


def drive(
    server: Server,
    name: str,
    make: Request,
    clients: int,
    seconds: float,
    threads: int = 1,
    n_requests: int = 20_000,
) -> Result:
    """`clients` connections of wrk for a fixed time after a 2 s warm-up; server CPU from /proc."""
    with tempfile.TemporaryDirectory(prefix="ui-wrk-") as tmp:
        file = request_file(make, n_requests, Path(tmp), name)
        check(server, file)
        run(server, file, clients, 2, threads)  # warm-up
        cpu0 = cpu_seconds(server.pid)
        got = run(server, file, clients, seconds, threads)
        cpu = cpu_seconds(server.pid) - cpu0
    errors = sum(v for k, v in got.items() if k.startswith("errors_"))
    if errors:
        print(f"  ! {name}: wrk counted {errors} errors {got}", file=sys.stderr)
    ok = got["requests"] - got["errors_status"]
    return Result(
        name=name,
        requests=ok,
        errors=errors,
        seconds=got["duration_us"] / 1e6,
        latencies_ms=[],
        server_cpu_s=cpu,
        percentiles_ms={p: got[f"p{p}_us"] / 1000 for p in (50, 95, 99)},
    )
