"""Notices read only the database: the app runs without Temporal or a worker here, and
the decided cases are rows written directly, as the review workflow's activities write them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from core.settings import Settings
from db.models import CaseRecord, Determination

DecidedCase = Callable[..., str]


@pytest.fixture
async def notices_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def approval(**over: Any) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "outcome": "approve",
        "decided_by": "reviewer",
        "decided_at": "2026-12-04T17:30:00+00:00",  # 2026-12-05 01:30 in Beijing
        "reasons": [],
        "reason_text": None,
        "contribution_months": 130,
        "corrected_from": 128,
        "entitlement": {
            "months": 24,
            "monthly_amount": "755.00",
            "start_date": "2026-12-01",
            "end_date": "2028-11-30",
        },
        "policy_version": "220100@2023-10-01",
    }
    decision.update(over)
    return decision


def rejection(**over: Any) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "outcome": "reject",
        "decided_by": "supervisor",
        "decided_at": "2026-12-05T09:00:00+08:00",
        "reasons": ["insufficient_contributions", "voluntary_separation"],
        "reason_text": "缴费记录仅 8 个月 <b>not bold</b>",
        "contribution_months": 8,
        "corrected_from": None,
        "entitlement": None,
        "policy_version": "220100@2023-10-01",
    }
    decision.update(over)
    return decision


@pytest.fixture
def decided_case(engine: Engine) -> DecidedCase:
    """Write a case (with `decision`, or none) and its review determination; return its ID."""

    def make(decision: dict[str, Any] | None, *, determination: bool = True) -> str:
        case_id = uuid.uuid4().hex[:20]
        now = datetime.now(UTC)
        if decision is not None:
            decision = {**decision, "determination_key": f"review:{case_id}:1"}
        with Session(engine) as session:
            session.add(
                CaseRecord(
                    case_id=case_id,
                    region_code="220100",
                    status="in_review" if decision is None else "active",
                    stage="review",
                    claimant_name="刘测试",
                    national_id_masked="2201**********0019",
                    employer_name="长春示例机械有限公司",
                    separation_date=date(2026, 11, 20),
                    decision=decision,
                    opened_at=now,
                    updated_at=now,
                )
            )
            if decision is not None and determination:
                session.add(
                    Determination(
                        key=decision["determination_key"],
                        case_id=case_id,
                        kind="review",
                        outcome=decision["outcome"],
                        actor=decision["decided_by"],
                        at=now,
                        policy_version=decision["policy_version"],
                        code_version="test-code-1",
                        inputs={"contribution_months": decision["contribution_months"]},
                        result={"entitlement": decision["entitlement"]},
                        reasons=decision["reasons"],
                        reason_text=decision["reason_text"],
                    )
                )
            session.commit()
        return case_id

    return make
