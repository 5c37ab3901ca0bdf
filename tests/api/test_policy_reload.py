"""Policy changes reach running cases without a restart (issue 9 §7): the worker and the API
read a copy of policy/ (POLICY_DIR), which the test edits while a case is paid."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.heartbeat import heartbeat_loop
from core.settings import Settings
from db.models import Payment
from policy import POLICY_DIR
from policy.store import PolicyStore
from tests.utils import factories as f
from tests.utils.api import login
from tests.utils.temporal import advance, eventually, state_when, today
from worker import create_worker
from workflows import ids

pytestmark = pytest.mark.asyncio
REGION = "220100"  # 755.00 a month since 2023-10-01 (seed 002)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.fixture
async def web(
    env: WorkflowEnvironment, settings: Settings, engine: Engine, task_queue: str, policy_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Our worker and API on the copy, each with its own store, as in production."""
    ours = settings.model_copy(
        update={
            "policy_dir": policy_dir,
            "policy_check_seconds": 0.0,
            "task_queue": task_queue,
            "temporal_address": env.client.service_client.config.target_host,
        }
    )
    store = PolicyStore(policy_dir, ours.policy_check_seconds)
    worker = create_worker(
        env.client, settings=ours, engine=engine, book=store, task_queue=task_queue
    )
    app = create_app(ours)
    async with worker, app.router.lifespan_context(app):
        beating = asyncio.create_task(heartbeat_loop(engine, task_queue))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


def _amounts(engine: Engine, case_id: str) -> dict[int, Decimal]:
    with Session(engine) as session:
        rows = session.exec(select(Payment).where(col(Payment.case_id) == case_id)).all()
        return {p.month: p.amount for p in rows if p.category == "benefit"}


def _add_period(policy_dir: Path, effective_from: date, amount: str) -> None:
    path = policy_dir / f"{REGION}.toml"
    path.write_text(
        path.read_text("utf-8")
        + f"\n[[periods]]\neffective_from = {effective_from.isoformat()}\n"
        + f'\n[periods.benefit]\nrule = "fixed"\namount = {amount}\n',
        "utf-8",
    )


async def _to_day(env: WorkflowEnvironment, day: date) -> None:
    now = await today(env)
    if day > now:
        await advance(env, (day - now).days)


async def _check_in(
    web: httpx.AsyncClient, env: WorkflowEnvironment, h: dict[str, str], case_id: str, ms: Any
) -> None:
    await _to_day(env, ms.start + timedelta(days=2))
    resp = await web.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=h)
    assert resp.status_code == 201, resp.text


async def test_a_raise_written_mid_case_pays_the_next_month_and_a_broken_file_is_refused(
    web: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine, policy_dir: Path
) -> None:
    """DOMAIN.md stage 4: a change applies to benefit months that start on or after its
    effective date; issue 9 §7: an edited region file reaches the running worker and API
    without a restart, and a bad one is refused, loudly, with the last valid values kept."""
    clerk, reviewer = await login(web, "clerk"), await login(web, "reviewer")
    nid, sep = f.national_id(birth=date(1979, 4, 2), sex="female"), await today(env)
    report = f.employer_report_json(nid, sep, contribution_months=30)
    made = await web.post("/api/v1/employer-reports", json=report, headers=clerk)
    assert made.status_code == 201, made.text
    case_id = made.json()["case_id"]
    reg = await web.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    assert reg.status_code == 201, reg.text
    handle = env.client.get_workflow_handle(ids.case(case_id))
    s = await state_when(handle, lambda s: any(t.startswith("review_claim") for t in s.tasks))
    review = next(t for t in s.tasks if t.startswith("review_claim"))
    done = await web.post(
        f"/api/v1/tasks/{review}/complete", json={"outcome": "approve"}, headers=reviewer
    )
    assert done.status_code == 200, done.text
    s = await state_when(handle, lambda s: s.benefit is not None)
    assert s.benefit is not None
    m1, m2, m3 = s.benefit.months[:3]

    await _check_in(web, env, clerk, case_id, m1)
    await eventually(lambda: _amounts(engine, case_id), lambda a: 1 in a)

    # mid-case, month 1 running: a raise from month 2's first day, written to the file
    _add_period(policy_dir, m2.start, '"800.00"')
    await _check_in(web, env, clerk, case_id, m2)
    await eventually(lambda: _amounts(engine, case_id), lambda a: 2 in a)
    # then a broken edit: a further raise from month 3, its amount not written as a string
    _add_period(policy_dir, m3.start, "900.00")  # a TOML float: refused
    health = (await web.get("/api/v1/health")).json()
    assert health["policy"]["status"] == "refused", health
    [refused] = health["policy"]["refused"]
    assert refused["file"] == f"policy/{REGION}.toml"
    assert "periods[3].benefit.amount" in refused["reason"]
    assert "2 places" in refused["reason"]
    await _check_in(web, env, clerk, case_id, m3)

    amounts = await eventually(lambda: _amounts(engine, case_id), lambda a: len(a) == 3)
    assert amounts == {1: Decimal("755.00"), 2: Decimal("800.00"), 3: Decimal("800.00")}
    case = (await web.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
    paid = {p["month"]: p["amount"] for p in case["payments"] if p["category"] == "benefit"}
    assert paid == {1: "755.00", 2: "800.00", 3: "800.00"}


async def test_the_api_takes_a_new_region_file_without_a_restart(
    web: httpx.AsyncClient, env: WorkflowEnvironment, policy_dir: Path
) -> None:
    """Issue 9 §7: the API's intake checks read the edited folder: a region added while it
    runs is accepted by the next request."""
    clerk = await login(web, "clerk")
    nid, sep = f.national_id(prefix="220102"), (await today(env)) - timedelta(days=2)
    body = f.registration_json(nid, sep, region_code="220300")
    refused = await web.post("/api/v1/registrations", json=body, headers=clerk)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "region_code"
    text = (policy_dir / "220200.toml").read_text("utf-8")
    (policy_dir / "220300.toml").write_text(
        text.replace('region_code = "220200"', 'region_code = "220300"'), "utf-8"
    )
    accepted = await web.post("/api/v1/registrations", json=body, headers=clerk)
    assert accepted.status_code == 201, accepted.text
    health = (await web.get("/api/v1/health")).json()
    assert health["policy"] == {"status": "ok", "refused": []}
