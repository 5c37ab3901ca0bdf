"""Run the agency for real (uvicorn on a free port, in a thread) from tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from bank.clock import BankClock
from core.serving import serve_app
from medagency.app import create_agency_app
from medagency.config import AgencyConfig


@dataclass
class RunningAgency:
    url: str  # http://127.0.0.1:<port>
    app: FastAPI
    config: AgencyConfig


@contextmanager
def serve_agency(config: AgencyConfig, clock: BankClock | None = None) -> Iterator[RunningAgency]:
    """Serve `create_agency_app(config, clock)` over real HTTP until the block ends."""
    app = create_agency_app(config, clock)
    with serve_app(app, "the simulated medical-insurance agency") as url:
        yield RunningAgency(url, app, config)
