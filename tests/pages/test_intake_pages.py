"""Issue 9 §9: a clerk files an employer report and a registration through the staff pages:
the API's own checks come back beside the fields with the input kept, the case they make is
the one the API makes, and a post without the session's CSRF token changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import csrf_of, page_login
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today

BAD_USCC = "91110000600037341X"  # wrong check character


def report_form(nid: str, sep: date, **over: str) -> dict[str, str]:
    """The employer-report form as a browser posts it (every field a string)."""
    form = {
        "employer__uscc": f.USCC,
        "employer__name": "长春示例机械有限公司",
        "employer__phone": "043188889999",
        "employer__email": "hr@example.test",
        "claimant__national_id": nid,
        "claimant__name": "王表单",
        "claimant__phone": "13800000001",
        "claimant__email": "",
        "region_code": "220100",
        "separation_date": sep.isoformat(),
        "notice_date": sep.isoformat(),
        "reason_code": "layoff",
        "contribution_months": "130",
    }
    form.update(over)
    return form


def registration_form(nid: str, sep: date, **over: str) -> dict[str, str]:
    form = {
        "national_id": nid,
        "name": "王表单",
        "phone": "13800000001",
        "email": "",
        "region_code": "220100",
        "separation_date": sep.isoformat(),
        "notice_date": "",
        "seeking_work": "yes",
        "bank_account__bank_code": "ICBC",
        "bank_account__kind": "card",
        "bank_account__account_number": "6222 0202 0011 2233 446",
        "bank_account__account_name": "王表单",
        "employer__uscc": "",
        "employer__name": "",
        "employer__email": "",
    }
    form.update(over)
    return form


async def _post(api: httpx.AsyncClient, path: str, form: dict[str, Any]) -> httpx.Response:
    page = await api.get(path)
    assert page.status_code == 200, page.text
    return await api.post(path, data={**form, "csrf_token": csrf_of(page.text)})


async def test_clerk_files_a_report_and_a_registration_through_the_forms(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    await page_login(api, "clerk")
    nid, sep = f.national_id(birth=date(1990, 3, 9)), (await today(env)) - timedelta(days=3)
    report = "/staff/intake/employer-report"

    home = await api.get("/staff/my")
    assert f'href="{report}"' in home.text and 'href="/staff/intake/registration"' in home.text
    assert 'href="/staff/cases"' in home.text
    empty = await api.get(report)
    assert "统一社会信用代码" in empty.text and 'lang="zh-CN"' in empty.text

    bad = await _post(
        api,
        report,
        report_form(
            nid[:-1] + ("0" if nid[-1] != "0" else "1"),
            sep,
            employer__uscc=BAD_USCC,
            notice_date=(sep - timedelta(days=1)).isoformat(),
            contribution_months="七十",
            reason_code="",
        ),
    )
    assert bad.status_code == 422
    for name in (
        "employer__uscc",
        "claimant__national_id",
        "contribution_months",
        "reason_code",
    ):
        assert f'id="err-{name}"' in bad.text, name
    assert "check character does not match" in bad.text and "请输入整数" in bad.text
    assert 'value="七十"' in bad.text and f'value="{BAD_USCC}"' in bad.text
    assert 'value="长春示例机械有限公司"' in bad.text and "必填" in bad.text
    # the model's own cross-field check, beside the field it names
    late = await _post(
        api, report, report_form(nid, sep, notice_date=(sep - timedelta(days=1)).isoformat())
    )
    assert late.status_code == 422 and 'id="err-notice_date"' in late.text
    assert "the notice cannot come before the separation" in late.text
    # a check of the service (system clock), beside its field
    future = (await today(env)) + timedelta(days=5)
    ahead = await _post(api, report, report_form(nid, future, notice_date=future.isoformat()))
    assert ahead.status_code == 422 and 'id="err-separation_date"' in ahead.text
    assert "is in the future" in ahead.text
    searched = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=clerk)
    assert searched.json() == []  # nothing refused reached a workflow

    filed = await _post(api, report, report_form(nid, sep))
    assert filed.status_code == 303, filed.text
    case_id = filed.headers["location"].removeprefix("/staff/cases/")
    assert nid not in case_id
    await case_when(api, clerk, case_id, "awaiting_registration")

    reg = "/staff/intake/registration"
    bad = await _post(
        api,
        reg,
        registration_form(
            nid,
            sep,
            seeking_work="",
            bank_account__account_number="6222020200112233447",  # fails Luhn
            email="not-an-address",
        ),
    )
    assert bad.status_code == 422
    for name in (
        "seeking_work",
        "bank_account__account_number",
        "email",
    ):
        assert f'id="err-{name}"' in bad.text, name
    assert "card number check digit does not match" in bad.text
    assert 'value="6222020200112233447"' in bad.text and 'value="not-an-address"' in bad.text
    unnamed = await _post(api, reg, registration_form(nid, sep, bank_account__account_name=""))
    assert unnamed.status_code == 422 and 'id="err-bank_account__account_name"' in unnamed.text

    filed = await _post(api, reg, registration_form(nid, sep))
    assert filed.status_code == 303, filed.text
    assert filed.headers["location"] == f"/staff/cases/{case_id}"  # the same case
    case = await case_when(api, clerk, case_id, "in_review")
    assert case["claimant_name"] == "王表单" and case["employer_name"] == "长春示例机械有限公司"
    assert case["proposal"]["months"] == 24  # 130 contribution months, from the report form
    page = await api.get(f"/staff/cases/{case_id}")
    assert "失业登记已受理" in page.text and "审核中" in page.text and nid not in page.text

    en = await api.get("/staff/lang/en", params={"next": reg})
    assert en.headers["location"] == reg
    english = await api.get(reg)
    assert "Bank account for payments" in english.text and "收款银行账户" not in english.text


async def test_intake_forms_refuse_a_post_without_the_csrf_token_and_non_clerks(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    nid, sep = f.national_id(birth=date(2001, 12, 31)), (await today(env)) - timedelta(days=1)
    await page_login(api, "clerk")
    forged = await api.post(
        "/staff/intake/employer-report", data={**report_form(nid, sep), "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403 and "CSRF" in forged.text
    missing = await api.post("/staff/intake/registration", data=registration_form(nid, sep))
    assert missing.status_code == 403
    searched = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=clerk)
    assert searched.json() == []

    api.cookies.clear()
    await page_login(api, "reviewer")
    assert (await api.get("/staff/intake/registration")).status_code == 403
    nav = await api.get("/staff/my")
    assert "/staff/intake/" not in nav.text and 'href="/staff/cases"' in nav.text
    refused = await api.post(
        "/staff/intake/registration",
        data={**registration_form(nid, sep), "csrf_token": csrf_of(nav.text)},
    )
    assert refused.status_code == 403
    # the REST route refuses the same way: one check, in the service
    reviewer = await login(api, "reviewer")
    r = await api.post(
        "/api/v1/registrations", json=f.registration_json(nid, sep), headers=reviewer
    )
    assert r.status_code == 403 and "clerk" in r.json()["detail"]


async def test_a_parallel_intake_is_a_form_error_naming_the_open_case(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Issue 9 §4 at the counter: the person has an open case, the registration gives a
    separation two months before the report's: 409, the form again with the input kept and
    the open case named and linked, and no second case."""
    clerk = await login(api, "clerk")
    await page_login(api, "clerk")
    nid = f.national_id_of("woman", date(1979, 4, 4))
    sep = (await today(env)) - timedelta(days=4)
    filed = await _post(api, "/staff/intake/employer-report", report_form(nid, sep))
    assert filed.status_code == 303, filed.text
    case_id = filed.headers["location"].removeprefix("/staff/cases/")
    await case_when(api, clerk, case_id, "awaiting_registration")
    earlier = sep - timedelta(days=60)
    refused = await _post(api, "/staff/intake/registration", registration_form(nid, earlier))
    assert refused.status_code == 409, refused.text
    assert f"此人已有未结案件 {case_id}" in refused.text
    assert f'href="/staff/cases/{case_id}"' in refused.text
    assert f'value="{earlier.isoformat()}"' in refused.text and 'value="王表单"' in refused.text
    searched = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=clerk)
    assert [c["case_id"] for c in searched.json()] == [case_id]
