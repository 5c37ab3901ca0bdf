"""The clerk's stop-event form on the staff case page (issue 11 §1): a refusal comes back
beside its field with what was typed, nothing recorded; a good event stops the case, whose
page then links the stop notice (HTML and PDF)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import clerk_with_case_form
from tests.utils.api import case_when
from tests.utils.temporal import today

pytestmark = pytest.mark.asyncio


async def test_clerk_records_a_reemployment_on_the_case_page(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    form = await clerk_with_case_form(api, env, "stop-event-form")
    case_id, url, token, clerk = form.case_id, form.url, form.token, form.clerk
    assert "重新就业" in form.page
    day = await today(env)
    far = (day + timedelta(days=90)).isoformat()
    ahead = await api.post(
        f"{url}/events",
        data={
            "csrf_token": token,
            "type": "reemployed",
            "effective_date": far,
            "data__evidence": "劳动合同 2026-17",
        },
    )
    assert ahead.status_code == 422 and 'id="err-effective_date"' in ahead.text
    assert f'value="{far}"' in ahead.text and 'value="劳动合同 2026-17"' in ahead.text
    no_evidence = await api.post(
        f"{url}/events",
        data={"csrf_token": token, "type": "reemployed", "effective_date": day.isoformat()},
    )
    assert no_evidence.status_code == 422 and 'id="err-data__evidence"' in no_evidence.text
    case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
    assert case["status"] == "active"
    assert not [e for e in case["events"] if e["type"] == "stop_event_reported"]

    ok = await api.post(
        f"{url}/events",
        data={
            "csrf_token": token,
            "type": "reemployed",
            "effective_date": (day + timedelta(days=5)).isoformat(),
            "data__evidence": "劳动合同 2026-17",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == url, ok.text
    await case_when(api, clerk, case_id, "stopped")
    shown = await api.get(url)
    assert 'id="stop-notice"' in shown.text and 'id="stop-event-form"' not in shown.text
