"""The bank over real HTTP with a manual clock, and a real HTTP webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bank.clock import ManualClock
from bank.config import BankConfig
from bank.testing import RunningBank, serve_bank
from tests.bank.helpers import SECRET, START, Received, WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            answer = hook.next_answer()
            if answer < 300:
                with hook.lock:
                    hook.received.append(Received(body, dict(self.headers.items())))
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/bank/webhook"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def bank_config(tmp_path: Path, receiver: WebhookReceiver) -> BankConfig:
    return BankConfig(
        db_path=tmp_path / "bank.db",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        settle_hours=24,
        opening_balance=Decimal("10000.00"),
        tick_seconds=0.05,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
    )


@pytest.fixture
def bank(bank_config: BankConfig, clock: ManualClock) -> Iterator[RunningBank]:
    with serve_bank(bank_config, clock) as running:
        yield running


@pytest.fixture
def http(bank: RunningBank) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bank.url, timeout=30) as client:
        yield client
