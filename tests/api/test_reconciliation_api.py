"""Starting a day's reconciliation by hand (simulated mode has no daily timer)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.utils.api import login
from tests.utils.temporal import today
from workflows import ids


async def test_reconciliation_is_for_finance_and_past_days_only(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    fin, rev = await login(api, "finance"), await login(api, "reviewer")
    day = await today(env)
    url = "/api/v1/reconciliations"
    past = {"day": (day - timedelta(days=1)).isoformat()}
    assert (await api.post(url, json=past, headers=rev)).status_code == 403
    now = await api.post(url, json={"day": day.isoformat()}, headers=fin)
    assert now.status_code == 422 and now.json()["detail"][0]["loc"] == ["body", "day"]
    started = await api.post(url, json=past, headers=fin)
    assert started.status_code == 202
    assert started.json()["workflow_id"] == ids.day_reconciliation(date.fromisoformat(past["day"]))
    assert (await api.post(url, json=past, headers=fin)).status_code == 202  # once only
    # a day nobody reconciled has no report (yesterday's may exist: other tests share the
    # database, and no worker runs here to finish the one just started)
    never = (day - timedelta(days=400)).isoformat()
    assert (await api.get(f"{url}/{never}", headers=fin)).status_code == 404
