"""A check-in that arrives in the moment a benefit month turns: the month has ended (the
case's clock is past it) but the case is still settling that month's end (here: month 2's
`missed_check_in` task being opened) and has not continued as new yet. The case refuses it as
RETRY_LATER (workflows/claim/benefit_months.py MONTH_TURNING) and the API sends it again
(api/temporal_calls.py): the claimant's check-in is recorded once, for the month now running
(seed 000 art. 33: one check-in per benefit month), or refused with a 4xx when it names a
day of the month that ended; never a 500, never lost, never recorded twice, also when the
client sends the same request again (its Idempotency-Key) across the continue-as-new."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import worklist
from api import temporal_calls
from api.deps import UNAVAILABLE
from api.main import create_app
from core.settings import Settings
from payloads.errors import RETRY_LATER
from payloads.tasks import OpenTaskInput
from tests.pages.helpers import active_case
from tests.utils.temporal import state_when
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.claim.benefit_months import month_end_instant

HOLD_SECONDS = 60  # a bound against a hang, not a timing check
PATIENCE = 3.0  # the API's wait for one Update in the second case


def _checked_in(case: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted(
        (e["data"]["month"], e["data"]["channel"])
        for e in case["events"]
        if e["type"] == "checked_in"
    )


async def _month_2_ending(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> threading.Event:
    """The case's clock just past month 2's end, month 2 unchecked: its end step (opening the
    missed_check_in task) held until the returned event is set."""
    s = await state_when(handle, lambda s: s.benefit is not None)
    assert s.benefit is not None
    entered, release = threading.Event(), threading.Event()
    real_open = worklist._open

    def held_open(session: Session, inp: OpenTaskInput) -> None:
        if inp.kind == "missed_check_in":
            entered.set()
            release.wait(HOLD_SECONDS)
        real_open(session, inp)

    monkeypatch.setattr(worklist, "_open", held_open)
    now = await env.get_current_time()
    await env.sleep(month_end_instant(s.benefit.months[1]) - now + timedelta(seconds=1))
    assert await asyncio.to_thread(entered.wait, HOLD_SECONDS)
    s = await handle.query(ClaimWorkflow.state)
    assert s.benefit is not None and s.benefit.current == 2  # ended, not moved on yet
    return release


def _refusals(log: mock.MagicMock) -> int:
    """How many times the API was told RETRY_LATER and sent an Update again."""
    return sum(1 for c in log.warning.call_args_list if RETRY_LATER in c.args)


async def test_a_check_in_while_the_month_turns_is_recorded_once_for_the_new_month(
    env: WorkflowEnvironment,
    api: httpx.AsyncClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, clerk = await active_case(api, env)
    handle = env.client.get_workflow_handle(ids.case(case_id))
    s = await state_when(handle, lambda s: s.benefit is not None)
    assert s.benefit is not None
    month_2, month_3 = s.benefit.months[1], s.benefit.months[2]

    release = await _month_2_ending(env, handle, monkeypatch)
    log = mock.MagicMock(wraps=temporal_calls.log)
    monkeypatch.setattr(temporal_calls, "log", log)

    url = f"/api/v1/cases/{case_id}/check-ins"
    key = {"Idempotency-Key": f"turning-{case_id}"}
    # the same request twice (a client that did not wait for the first answer), and one that
    # names the last day of the month that ended
    first = asyncio.create_task(api.post(url, json={}, headers={**clerk, **key}))
    again = asyncio.create_task(api.post(url, json={}, headers={**clerk, **key}))
    late_day = (month_2.end - timedelta(days=1)).isoformat()
    late = asyncio.create_task(api.post(url, json={"date": late_day}, headers=clerk))
    for _ in range(HOLD_SECONDS * 20):  # each is refused as RETRY_LATER at least once
        if _refusals(log) >= 3:
            break
        await asyncio.sleep(0.05)
    assert _refusals(log) >= 3, log.warning.call_args_list
    assert not any(t.done() for t in (first, again, late))  # still being sent again
    release.set()

    answers = [await first, await again]
    for answer in answers:
        assert answer.status_code == 201, answer.text
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["month"] == 3
    assert answers[0].json()["period_start"] == month_3.start.isoformat()
    refused = await late
    assert refused.status_code == 422, refused.text
    assert "not in the running benefit month 3" in refused.text

    s = await state_when(handle, lambda s: s.benefit is not None and s.benefit.current == 3)
    assert s.benefit is not None
    assert s.benefit.months[1].status == "missed"
    assert s.benefit.months[2].status == "checked_in"

    # the same request once more, after the case continued as new: answered, not applied
    third = await api.post(url, json={}, headers={**clerk, **key})
    assert (third.status_code, third.json()) == (201, answers[0].json())
    other = await api.post(url, json={}, headers=clerk)
    assert other.status_code == 409 and "already checked in" in other.text
    case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
    assert _checked_in(case) == [(1, "registration"), (3, "counter")]


async def test_a_check_in_refused_until_the_apis_patience_ends_is_a_503_then_recorded_once(
    env: WorkflowEnvironment,
    settings: Settings,
    task_queue: str,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The month's end held longer than the API waits for one check-in: a 503 with
    Retry-After and the API's own sentence (not a 500, nothing recorded); the same request
    again once the case has moved on is recorded once, for the new month."""
    app = create_app(
        settings.model_copy(
            update={
                "task_queue": task_queue,
                "temporal_address": env.client.service_client.config.target_host,
                "temporal_update_seconds": PATIENCE,
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            case_id, clerk = await active_case(api, env)
            handle = env.client.get_workflow_handle(ids.case(case_id))
            release = await _month_2_ending(env, handle, monkeypatch)
            url = f"/api/v1/cases/{case_id}/check-ins"
            key = {"Idempotency-Key": f"patience-{case_id}"}
            busy = await api.post(url, json={}, headers={**clerk, **key})
            assert busy.status_code == 503, busy.text
            assert busy.json() == {"detail": UNAVAILABLE}
            assert int(busy.headers["Retry-After"]) > 0
            release.set()

            s = await state_when(handle, lambda s: s.benefit is not None and s.benefit.current == 3)
            assert s.benefit is not None
            assert [m.status for m in s.benefit.months[:3]] == ["checked_in", "missed", "open"]
            again = await api.post(url, json={}, headers={**clerk, **key})
            assert again.status_code == 201, again.text
            assert again.json()["month"] == 3
            case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
            assert _checked_in(case) == [(1, "registration"), (3, "counter")]
