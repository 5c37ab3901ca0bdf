"""The clerk's ≤ 3-month medical cash option form on the staff case page (seed 000 范文1 §4.6;
issue 12 §1): only clerks see it; a refusal comes back beside its field (or above the form
when it is about the case: the months left, the written request) with what was typed, and
nothing is recorded; a form without its CSRF token is refused. The form recording a good
request is tests/workflows/test_medical_stage.py's (it needs a case with 3 months left)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import clerk_with_case_form
from tests.utils.temporal import today

pytestmark = pytest.mark.asyncio


async def test_the_cash_option_form_reshows_its_refusals_and_records_nothing(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    form = await clerk_with_case_form(api, env, "cash-option-form")
    case_id, url, token, clerk = form.case_id, form.url, form.token, form.clerk
    assert "城镇居民医疗保险" in form.page
    post = f"{url}/medical/cash-option"
    day = await today(env)

    no_csrf = await api.post(
        post, data={"requested_on": day.isoformat(), "insured_elsewhere": "urban_resident"}
    )
    assert no_csrf.status_code == 403
    blank = await api.post(post, data={"csrf_token": token, "requested_on": "2026-13-40"})
    assert blank.status_code == 422
    assert 'id="err-requested_on"' in blank.text and 'id="err-insured_elsewhere"' in blank.text
    assert 'value="2026-13-40"' in blank.text
    future = (day + timedelta(days=3)).isoformat()
    ahead = await api.post(
        post,
        data={
            "csrf_token": token,
            "requested_on": future,
            "insured_elsewhere": "rural_cooperative",
            "written_request": "true",
        },
    )
    assert ahead.status_code == 422 and 'id="err-requested_on"' in ahead.text
    assert f'value="{future}"' in ahead.text
    assert '<option value="rural_cooperative" selected>' in ahead.text
    early = await api.post(  # all its months left, and no written request ticked
        post,
        data={
            "csrf_token": token,
            "requested_on": day.isoformat(),
            "insured_elsewhere": "urban_resident",
        },
    )
    assert early.status_code == 422 and 'id="cash-option-error"' in early.text
    assert "benefit months are left; the option is for 3" in early.text
    assert "本人书面申请" in early.text
    assert '<option value="urban_resident" selected>' in early.text

    case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
    assert case["status"] == "active"
    page = await api.get(url)
    assert 'id="cash-option-form"' in page.text  # nothing was recorded
