"""The month-cycle benchmark's variants (issues 11 and 12), each through the real path:

- `--stop-fraction F`: after the check-ins, a clerk reports a stop event (`reemployed`) on
  every case in an even sample of F of them with `POST /api/v1/cases/{id}/events` (the case's
  `report_event` Update); the phase ends when the read model shows each of them `stopped`
  (month 2 prorated on the ledger, the stop notice asked for, the case closed).
- `--medical`: every case is covered (a `medical_coverage` row, the case's `MedicalState`
  enrolled) and last month's declaration was made before the run (untimed, by calling the
  real activities: enrolments accepted by the agency, their premiums paid); in the cycle, after
  the obligations, the region's `MedicalDeclarationWorkflow` for this month (as the medical
  calendar starts it) declares one batch to the simulated agency (over HTTP, in this process;
  every request to it counted) and the month's premiums go on the ledger for the payment run.
  The report states the agency's calls: one declaration per region and month, not one per case.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from month_cycle_seed import REGION, today_in_china
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client

from activities.medical_agency import MedicalAgencyActivities
from activities.medical_batches import MedicalBatchActivities
from activities.medical_ledger import MedicalLedgerActivities
from core.identity import IdentityKeys
from core.serving import serve_app
from core.settings import Settings
from db.medical import MedicalCoverage
from domain.entitlement import add_months
from domain.medical import month_start
from medagency.app import create_agency_app
from medagency.config import AgencyConfig
from payloads.case_state import CaseState, MedicalState
from payloads.medical import AssembleInput, BatchInput, MedicalDeclarationInput
from policy import PolicyBook
from workflows import ids
from workflows.medical_declaration import MedicalDeclarationWorkflow

STOP_TYPE = "reemployed"


def stop_sample(n: int, fraction: float) -> list[int]:
    """An even sample of round(n × fraction) case indexes (every 1/fraction-th case)."""
    k = round(n * fraction)
    return [int(j * n / k) for j in range(k)] if k else []


def stop_effective_date(state: CaseState, today: date) -> date:
    """A day inside month 2 (the running month): its 15th day, or today when later; so the
    month is paid pro rata and the stop is within the policy's limit ahead of today."""
    assert state.benefit is not None
    m2 = state.benefit.months[1]
    return max(today, m2.start + timedelta(days=14))


async def report_stops(
    http: httpx.AsyncClient,
    clerk: dict[str, str],
    states: list[CaseState],
    picked: list[int],
    gathered: Callable[[int, Callable[[int], Awaitable[None]]], Awaitable[None]],
) -> None:
    """POST /api/v1/cases/{id}/events for the picked cases (201 each, or the run fails)."""
    today = today_in_china()

    async def one(j: int) -> None:
        s = states[picked[j]]
        body = {
            "type": STOP_TYPE,
            "effective_date": stop_effective_date(s, today).isoformat(),
            "data": {"evidence": f"劳动合同 BENCH-{s.case_id}"},
        }
        r = await http.post(f"/api/v1/cases/{s.case_id}/events", json=body, headers=clerk)
        if r.status_code != 201:
            raise RuntimeError(f"stop event {s.case_id}: {r.status_code} {r.text[:300]}")

    await gathered(len(picked), one)


# ---- medical declarations (issue 12) -------------------------------------------------------


@dataclass
class AgencyCalls:
    """Every request the simulated agency answered, by method and path."""

    counts: Counter[str] = field(default_factory=Counter)

    def middleware(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def count(request: Request, call_next: Any) -> Response:
            path = request.url.path
            if path.startswith("/declarations/"):
                path = "/declarations/{batch_key}"
            self.counts[f"{request.method} {path}"] += 1
            response: Response = await call_next(request)
            return response

    def declarations(self) -> int:
        return self.counts["POST /declarations"]

    def total(self) -> int:
        return sum(self.counts.values())


@contextmanager
def serve_counted_agency(tmp: Path) -> Iterator[tuple[str, AgencyCalls]]:
    """The simulated agency over real HTTP (answers in the POST's reply), requests counted."""
    calls = AgencyCalls()
    app = create_agency_app(AgencyConfig(db_path=tmp / "medagency.db"))
    calls.middleware(app)
    with serve_app(app, "the simulated medical-insurance agency") as url:
        yield url, calls


def declaration_months(today: date) -> tuple[date, date]:
    """(last month, this month): the month declared before the run and the one in it."""
    return month_start(add_months(today, -1)), month_start(today)


def cover_cases(engine: Engine, states: list[CaseState], key: str) -> None:
    """Each case enrolled from its first benefit day, as record_enrolment leaves it (bulk
    insert, not timed), and its state saying so."""
    keys = IdentityKeys(key)
    now = datetime.now(UTC)
    with Session(engine) as session:
        for s in states:
            assert s.benefit is not None and s.intake is not None
            reg = s.intake.registration
            assert reg is not None and reg.bank_account is not None and s.region_code
            start = s.benefit.months[0].start
            s.medical = MedicalState(start_date=start, enrolled=True)
            session.add(
                MedicalCoverage(
                    case_id=s.case_id,
                    region_code=s.region_code,
                    person_ref=keys.search_hash(reg.national_id),
                    national_id=reg.national_id,
                    name=reg.name,
                    start_date=start,
                    bank_code=reg.bank_account.bank_code,
                    account_number=reg.bank_account.account_number,
                    account_name=reg.bank_account.account_name,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.commit()


async def declare_last_month(engine: Engine, book: PolicyBook, agency_url: str) -> int:
    """Last month's declaration, before the run (untimed): the real activities called
    directly (assemble, declare over HTTP, apply), then its premiums marked settled (paid
    by last month's run). Answers the lines declared."""
    settings = Settings(app_env="test", medagency_url=agency_url)
    month, _ = declaration_months(today_in_china())
    at = datetime.now(UTC)
    batch = MedicalBatchActivities(engine, book).assemble_batch(
        AssembleInput(REGION, month, ids.medical_declaration(REGION, month), at)
    )
    if batch.lines:
        agency = MedicalAgencyActivities(engine, settings)
        if not await agency.declare_batch(BatchInput(batch.batch_key, at)):
            raise RuntimeError(f"the agency did not answer batch {batch.batch_key} at once")
        MedicalLedgerActivities(engine, book).apply_answer(BatchInput(batch.batch_key, at))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE payments SET status = 'settled' WHERE category = 'medical_premium'")
        )
    return batch.lines


async def declare_this_month(client: Client, queue: str, timeout: float) -> tuple[int, str]:
    """The region's declaration for this month, started as the medical calendar starts it;
    (lines accepted, its status)."""
    _, month = declaration_months(today_in_china())
    handle = await client.start_workflow(
        MedicalDeclarationWorkflow.run,
        MedicalDeclarationInput(region_code=REGION, month=month),
        id=ids.medical_declaration(REGION, month),
        task_queue=queue,
    )
    result = await asyncio.wait_for(handle.result(), timeout=timeout)
    return result.accepted, result.status
