"""The bank's clock (simulated time comes from the Temporal test server), its settings from
the environment, and `python -m bank` as its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from bank.clock import ManualClock, RealClock, TemporalClock, clock_from_spec
from bank.config import DEFAULT_ACCOUNT, BankConfig

ROOT = Path(__file__).resolve().parents[2]


async def test_temporal_clock_reads_the_time_skipping_server(env: WorkflowEnvironment) -> None:
    clock = clock_from_spec(f"temporal:{env.client.service_client.config.target_host}")
    assert isinstance(clock, TemporalClock)
    before = await clock.now()
    await env.sleep(timedelta(days=3))  # simulated time moves; so does the bank's
    after = await clock.now()
    assert after - before >= timedelta(days=3)
    assert after - before < timedelta(days=3, hours=1)


async def test_real_and_manual_clocks() -> None:
    assert (await RealClock().now()).tzinfo is not None
    manual = ManualClock()
    start = await manual.now()
    manual.advance(timedelta(hours=24))
    assert await manual.now() - start == timedelta(hours=24)
    with pytest.raises(ValueError):
        clock_from_spec("simulated")


def test_config_from_env() -> None:
    config = BankConfig.from_env(
        {
            "DATA_DIR": "/tmp/somewhere",
            "WEBHOOK_URL": "http://127.0.0.1:8000/api/v1/bank/webhook",
            "BANK_WEBHOOK_SECRET": "s",
            "BANK_SETTLE_HOURS": "2.5",
            "BANK_CLOCK": "temporal:127.0.0.1:7233",
            "BANK_CLOSED_ACCOUNTS": " 1, 2 ,,",
            "BANK_OPENING_BALANCE": "5.00",
        }
    )
    assert config.db_path == Path("/tmp/somewhere/bank.db")
    assert config.settle_hours == 2.5 and config.clock == "temporal:127.0.0.1:7233"
    assert config.closed_accounts == {"1", "2"} and config.opening_balance == Decimal("5.00")
    assert BankConfig.from_env({"BANK_DB": "x.db"}, db_path=None).db_path == Path("x.db")
    assert BankConfig.from_env({}, db_path=Path("y.db")).db_path == Path("y.db")
    assert BankConfig.from_env({"BANK_ACCOUNT": ""}).account == DEFAULT_ACCOUNT
    assert BankConfig.from_env({"BANK_ACCOUNT": "123"}).account == "123"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BANK_CLOCK": "simulated"}, "BANK_CLOCK"),
        ({"BANK_SETTLE_HOURS": "-1"}, "BANK_SETTLE_HOURS"),
    ],
)
def test_config_refuses(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BankConfig.from_env(env)


def test_config_refuses_no_secret_the_bank_signs_every_answer_with_it() -> None:
    with pytest.raises(ValueError, match="BANK_WEBHOOK_SECRET"):
        BankConfig(webhook_secret="")


def test_python_m_bank_serves_health(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANK_", "WEBHOOK_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bank", "--port", str(port), "--db", str(tmp_path / "b.db")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "python -m bank did not answer"
                time.sleep(0.1)
        assert resp.status_code == 200 and resp.json()["clock"] == "real"
        assert (tmp_path / "b.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
