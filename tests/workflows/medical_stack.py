"""The medical tests' stack: a database of their own (coverage rows are per region, and a
batch takes the whole region's), our API served over real HTTP (the agency's webhook), the
worker, and the simulated agency and bank on the test server's clock.

A test module takes the fixtures as module-level names:

    database_url, engine, settings, stack = medical_stack.FIXTURES
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.medical_coverage import MedicalCoverageActivities
from api.clock import SystemClock
from api.main import create_app
from bank.config import BankConfig
from bank.testing import serve_bank
from core.identity import IdentityKeys
from core.serving import base_url, bound_socket, serving_here
from core.settings import Settings
from db.medical import MedicalCoverage, MedicalDeclaration, MedicalDeclarationLine
from db.models import Payment, Task
from db.seed import demo_credentials
from domain.calendar import AGENCY_TZ
from medagency.config import AgencyConfig
from medagency.testing import serve_agency
from payloads.medical import CoverageView, EnrolInput, MedicalDeclarationInput
from policy import PolicyBook
from tests.conftest import ROOT
from tests.utils import factories as f
from tests.utils import template_database
from tests.utils.temporal import CONVERTER
from worker import create_worker
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.medical_calendar import AllRegionsMedicalCalendarWorkflow, MedicalCalendarWorkflow
from workflows.medical_declaration import MedicalDeclarationWorkflow

database_url, engine, settings = (
    template_database.database_url,
    template_database.engine,
    template_database.settings,
)

HISTORIES = ROOT / "tests" / "histories" / "medical"
CLAIM_HISTORIES = ROOT / "tests" / "histories" / "claim"
SECRET = "test-medical-webhook-secret"
REGION = "220100"
ACCOUNT = "6222020200112233446"  # the claimants' account (Luhn-valid)
T = TypeVar("T")


@dataclass
class MedicalStack:
    agency_url: str
    bank_url: str
    api_url: str
    settings: Settings
    engine: Engine
    book: PolicyBook
    worker: Callable[[], Worker]

    def coverage(self) -> MedicalCoverageActivities:
        return MedicalCoverageActivities(
            self.engine, IdentityKeys(self.settings.case_id_key), self.book
        )

    def enrol(self, case_id: str, start: date, at: datetime, **over: Any) -> CoverageView:
        """What the case's medical stage will call when the case becomes active."""
        values: dict[str, Any] = dict(
            case_id=case_id,
            region_code=REGION,
            national_id=f.national_id(),
            name="刘测试",
            start_date=start,
            at=at,
            bank_code="ICBC",
            account_number=ACCOUNT,
            account_name="刘测试",
        )
        values.update(over)
        view: CoverageView = ActivityEnvironment().run(
            self.coverage().record_enrolment, EnrolInput(**values)
        )
        return view

    async def agency(self, method: str, path: str, **kw: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.agency_url, timeout=30) as http:
            resp = await http.request(method, path, **kw)
            resp.raise_for_status()
            return resp.json()


@pytest.fixture
async def stack(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    tmp_path: Path,
) -> AsyncIterator[MedicalStack]:
    target = env.client.service_client.config.target_host
    sock = bound_socket()  # ours, before the agency and bank are told where to call us
    api_url = base_url(sock)
    agency_config = AgencyConfig(
        db_path=tmp_path / "medagency.db",
        webhook_url=f"{api_url}/api/v1/medical/webhook",
        webhook_secret=SECRET,
        clock=f"temporal:{target}",
        tick_seconds=0.05,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
    )
    bank_config = BankConfig(
        db_path=tmp_path / "bank.db",
        webhook_url=f"{api_url}/api/v1/bank/webhook",
        webhook_secret=SECRET,
        settle_hours=1,
        clock=f"temporal:{target}",
        tick_seconds=0.05,
    )
    with serve_agency(agency_config) as agency, serve_bank(bank_config) as bank:
        ours = settings.model_copy(
            update={
                "task_queue": task_queue,
                "temporal_address": target,
                "bank_url": bank.url,
                "bank_webhook_secret": SECRET,
                "medagency_url": agency.url,
                "medagency_webhook_secret": SECRET,
                "bank_booking_hours": 1,  # the bank's settle_hours: polls when it can book
            }
        )

        def new_worker() -> Worker:
            return create_worker(
                env.client,
                settings=ours,
                engine=engine,
                book=book,
                task_queue=task_queue,
                fail_fast=True,
            )

        async with serving_here(create_app(ours), sock):
            yield MedicalStack(agency.url, bank.url, api_url, ours, engine, book, new_worker)


def replayer() -> Replayer:
    return Replayer(
        workflows=[
            MedicalDeclarationWorkflow,
            AllRegionsMedicalCalendarWorkflow,
            MedicalCalendarWorkflow,  # the per-region calendars of the code before
        ],
        data_converter=CONVERTER,
    )


async def keep_history(name: str, handle: WorkflowHandle[Any, Any]) -> None:
    """Replay the workflow's history on this code; `RECORD_HISTORIES=1` saves it for
    tests/workflows/test_medical_replay.py (a later change must still replay it)."""
    history = await handle.fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
        (HISTORIES / f"{name}.workflow_id").write_text(handle.id + "\n")


def workflow_id_of(path: Path) -> str:
    """The recorded workflow's ID (its tasks' IDs contain it), kept beside its history; the
    histories recorded before it was kept do not depend on it."""
    kept = path.with_suffix(".workflow_id")
    return kept.read_text().strip() if kept.exists() else "recorded"


async def keep_case_history(name: str, handle: WorkflowHandle[Any, Any]) -> None:
    """A case's history (its medical stage, a transfer) replayed on this code;
    `RECORD_HISTORIES=1` saves it to tests/histories/claim/, where
    tests/workflows/test_replay.py replays it."""
    history = await handle.fetch_history()
    await Replayer(workflows=[ClaimWorkflow], data_converter=CONVERTER).replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        (CLAIM_HISTORIES / f"{name}.json").write_text(history.to_json())


async def advance(env: WorkflowEnvironment, days: float) -> None:
    """Move the test server's time on (timers firing on the way), as POST /sim/clock/advance
    does: with a generous RPC timeout, since two days of retries take real time too."""
    await SystemClock(simulated=True).advance(env.client, days * 86400)


async def this_month(env: WorkflowEnvironment) -> date:
    """The first day of the test server's month, in the agency's time zone."""
    return (await env.get_current_time()).astimezone(AGENCY_TZ).date().replace(day=1)


async def start_declaration(
    env: WorkflowEnvironment, task_queue: str, month: date, suffix: str = ""
) -> Any:
    return await env.client.start_workflow(
        MedicalDeclarationWorkflow.run,
        MedicalDeclarationInput(region_code=REGION, month=month),
        id=ids.medical_declaration(REGION, month) + suffix,
        task_queue=task_queue,
    )


def premiums(engine: Engine, category: str = "medical_premium") -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.category == category)
        return list(session.exec(stmt.order_by(col(Payment.case_id), col(Payment.month))).all())


def lines(engine: Engine, case_id: str | None = None) -> list[MedicalDeclarationLine]:
    with Session(engine) as session:
        stmt = select(MedicalDeclarationLine)
        if case_id is not None:
            stmt = stmt.where(MedicalDeclarationLine.case_id == case_id)
        return list(session.exec(stmt.order_by(col(MedicalDeclarationLine.id))).all())


def coverage_status(engine: Engine, case_id: str) -> str:
    with Session(engine) as session:
        stmt = select(MedicalCoverage).where(MedicalCoverage.case_id == case_id)
        return session.exec(stmt).one().status


def batch(engine: Engine, key: str) -> MedicalDeclaration | None:
    with Session(engine) as session:
        return session.get(MedicalDeclaration, key)


async def eventually(
    fn: Callable[[], T], pred: Callable[[T], bool] = bool, timeout: float = 90
) -> T:
    """Poll until `pred(fn())` (a generous bound for a loaded machine, not a timing check)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = fn()
        if pred(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.05)


async def found(fn: Callable[[], T | None], timeout: float = 90) -> T:
    """Poll until `fn()` finds something (a row an activity writes a moment later)."""
    value = await eventually(fn, lambda v: v is not None, timeout)
    assert value is not None
    return value


def task_of(engine: Engine, kind: str, task_id_part: str = "") -> Task | None:
    with Session(engine) as session:
        stmt = select(Task).where(Task.kind == kind, col(Task.task_id).contains(task_id_part))
        return session.exec(stmt).first()


async def login(api_url: str, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=api_url) as http:
        resp = await http.post("/api/v1/auth/token", data=demo_credentials(username))
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def complete(stack: MedicalStack, task_id: str, user: str, **body: Any) -> httpx.Response:
    """Complete a task through the API as `user`, as a person at the worklist would."""
    headers = await login(stack.api_url, user)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        return await http.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=headers)


FIXTURES = (database_url, engine, settings, stack)
