"""Run the bank for real (uvicorn on a free port, in a thread) from tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from bank.app import create_bank_app
from bank.clock import BankClock
from bank.config import BankConfig
from core.serving import serve_app


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
    with serve_app(app, "the simulated bank", start_timeout) as url:
        yield RunningBank(url, app, config)
