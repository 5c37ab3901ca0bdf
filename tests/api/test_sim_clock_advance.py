"""Issue 9 §8: a year of simulated time on a stack with a few dozen cases moves through the
API as a job that reports its progress and ends; no call answers 5xx. Everything real: our
API over HTTP, the worker, the payout calendar and the daily reconciliation running, the
simulated bank on the test server's clock, a database of the test's own."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.testing import WorkflowEnvironment

from tests.utils import factories as f
from tests.utils import own_database
from tests.utils.api import advance_clock, login
from tests.utils.temporal import today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows.payout_calendar import ensure_payout_calendar
from workflows.reconciliation import QUIET_DAYS, ensure_daily_reconciliation

database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)
stack = test_payment_run.stack
REGION = "220100"
# people of working age, both sexes, born from 1962 to 2004
PEOPLE = [
    (sex, date(1962 + 2 * i, 1 + i % 12, 1 + i % 28)) for i in range(12) for sex in ("man", "woman")
]


async def _open_case(
    web: httpx.AsyncClient, clerk: dict[str, str], sex: str, born: date, sep: date
) -> str:
    nid = f.national_id_of(sex, born)
    report = f.employer_report_json(nid, sep, contribution_months=40)
    made = await web.post("/api/v1/employer-reports", json=report, headers=clerk)
    assert made.status_code == 201, made.text
    reg = await web.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    assert reg.status_code == 201, reg.text
    return str(made.json()["case_id"])


async def _review_task(web: httpx.AsyncClient, h: dict[str, str], case_id: str) -> str:
    params = {"case_id": case_id, "kind": "review_claim"}
    for _ in range(500):
        tasks = (await web.get("/api/v1/tasks", params=params, headers=h)).json()
        if tasks:
            return str(tasks[0]["task_id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no review task for {case_id}")


async def test_a_year_advances_as_a_job_with_progress_on_a_few_dozen_cases(
    env: WorkflowEnvironment, stack: Stack, task_queue: str
) -> None:
    sep = await today(env) - timedelta(days=3)
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=120) as web:
        await ensure_payout_calendar(env.client, task_queue, only=[REGION])
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=QUIET_DAYS)
        clerk, reviewer = await login(web, "clerk"), await login(web, "reviewer")
        cases = [await _open_case(web, clerk, sex, born, sep) for sex, born in PEOPLE]
        for case_id in cases[::2]:  # half approved (benefit months, payout days), half waiting
            task = await _review_task(web, reviewer, case_id)
            done = await web.post(
                f"/api/v1/tasks/{task}/complete",
                json={"outcome": "approve", "reason": "checked"},
                headers=reviewer,
            )
            assert done.status_code == 200, done.text

        seen: list[dict[str, Any]] = []
        admin = await login(web, "admin")  # only admins move the simulated clock
        job = await advance_clock(web, admin, 365, wait=0, seen=seen)

        # answered at once with a job, polled to its end: progress moved forward, day by day
        assert seen[0]["status"] == "running" and seen[0]["days_total"] == 365
        assert job["days_done"] == 365 and job["error"] is None
        done_days = [s["days_done"] for s in seen]
        assert done_days == sorted(done_days)
        assert any(0 < d < 365 for d in done_days), done_days
        moved = datetime.fromisoformat(job["now"]) - datetime.fromisoformat(job["started_at"])
        assert moved >= timedelta(days=365)
        clock = (await web.get("/api/v1/sim/clock", headers=clerk)).json()
        assert clock["today"] == job["today"]
        # the job stays readable; an unknown one is 404
        again = await web.get(f"/api/v1/sim/clock/jobs/{job['job_id']}", headers=admin)
        assert again.status_code == 200 and again.json()["status"] == "done"
        assert (await web.get("/api/v1/sim/clock/jobs/nope", headers=admin)).status_code == 404
        # every case still answers
        for case_id in cases:
            resp = await web.get(f"/api/v1/cases/{case_id}", headers=clerk)
            assert resp.status_code == 200, resp.text


async def test_a_short_advance_answers_when_done_and_a_second_one_meanwhile_is_409(
    env: WorkflowEnvironment, stack: Stack, task_queue: str
) -> None:
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=120) as web:
        admin = await login(web, "admin")  # only admins move the simulated clock
        before = (await web.get("/api/v1/sim/clock", headers=admin)).json()
        short = await web.post("/api/v1/sim/clock/advance", json={"days": 2}, headers=admin)
        assert short.status_code == 200, short.text
        assert short.json()["status"] == "done" and short.json()["today"] > before["today"]
        # a fraction of a day as a client computes it (the bench's "until 09:30 on the 10th"):
        # its last step is not a sleep of a few microseconds the test server never ends
        odd = await advance_clock(web, admin, 23.104166215277775)
        assert odd["days_done"] == odd["days_total"] == 23.104166215277775

        # the test holds a lock on the test server's time skipping meanwhile: the first advance's
        # steps then wait in real time (a day each), so it is still running when the second
        # comes, however fast or loaded the machine (an idle 30 days take a few steps; under
        # pytest-xdist they had ended before the second call); let go, it ends
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())
        try:
            first = await web.post(
                "/api/v1/sim/clock/advance", params={"wait": 0}, json={"days": 30}, headers=admin
            )
            assert first.status_code == 202, first.text
            location = f"/api/v1/sim/clock/jobs/{first.json()['job_id']}"
            assert first.headers["location"] == location
            second = await web.post("/api/v1/sim/clock/advance", json={"days": 1}, headers=admin)
            assert second.status_code == 409 and first.json()["job_id"] in second.text
            assert (await web.get(location, headers=admin)).json()["status"] == "running"
        finally:
            await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
        seen: list[dict[str, Any]] = []
        for _ in range(100_000):
            job = (await web.get(first.headers["location"], headers=admin)).json()
            seen.append(job)
            if job["status"] != "running":
                break
            await asyncio.sleep(0.02)
        assert seen[-1]["status"] == "done" and seen[-1]["days_done"] == 30
