"""Run the bank for real (uvicorn on a free port, in a thread) from tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from bank.app import create_bank_app
from bank.clock import BankClock
from bank.config import BankConfig


@dataclass
class RunningBank:
    url: str  # http://127.0.0.1:<port>
    app: FastAPI
    config: BankConfig


@contextmanager
def serve_bank(
    config: BankConfig, clock: BankClock | None = None, start_timeout: float = 20.0
) -> Iterator[RunningBank]:
    """Serve `create_bank_app(config, clock)` over real HTTP until the block ends."""
    app = create_bank_app(config, clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the simulated bank did not start")
        time.sleep(0.01)
    try:
        yield RunningBank(f"http://127.0.0.1:{port}", app, config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
