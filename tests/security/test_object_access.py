"""Object-level authorization (issue 13 §3) and separation of duties (§4), through the real
app on the time-skipping server: a case of another region is refused to region-scoped staff
(REST and pages; lists leave it out), a task of another group or claimed by someone else
cannot be taken or decided, and the user who filed a case cannot decide its review."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pyotp
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api import access
from api.pages.web import CSRF_FIELD, SESSION_COOKIE, csrf_token
from api.security import check_token
from api.services import ActionError
from api.services.tasks import check_separation_and_payee
from core.passwords import hash_password
from core.settings import Settings, get_settings
from db.engine import session_scope
from db.models import AuditEntry, CaseRecord, PaymentRun, Task, User
from db.seed import DEMO_TOTP_SECRET
from db.users import main as users_cli
from domain.access import payee_name_matches, regions_of, sees_region
from tests.pages.helpers import case_in_review
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today
from workflows import ids


def _user(engine: Engine, roles: str, regions: str = "*") -> dict[str, str]:
    """A fresh staff user (no TOTP roles here); their sign-in form."""
    name = f"u{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    with session_scope(engine) as session:
        session.add(
            User(
                username=name,
                full_name=name,
                password_hash=hash_password(password),
                roles=roles,
                regions=regions,
            )
        )
    return {"username": name, "password": password}


async def _token(api: httpx.AsyncClient, form: dict[str, str]) -> dict[str, str]:
    r = await api.post("/api/v1/auth/token", data=form)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _page(api: httpx.AsyncClient, headers: dict[str, str], path: str) -> httpx.Response:
    api.cookies.clear()
    api.cookies.set(SESSION_COOKIE, headers["Authorization"].removeprefix("Bearer "))
    try:
        return await api.get(path)
    finally:
        api.cookies.clear()


def test_the_refusal_audit_reads_the_pages_session_cookie() -> None:
    assert access.SESSION_COOKIE == SESSION_COOKIE  # a copy (importing the pages would cycle)


def test_region_rules() -> None:
    """users.regions: "*" is every region (explicit); a list is those only; empty is none."""
    assert regions_of("*") is None and sees_region("*", "330100")
    assert sees_region("220100,330100", "330100") and not sees_region("330100", "220100")
    assert regions_of("") == frozenset() and not sees_region("", "220100")


async def test_staff_of_one_region_neither_see_nor_touch_another_regions_cases(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    clerk = await login(api, "clerk")  # every region
    hz_clerk, hz_reviewer = await login(api, "clerk_hz"), await login(api, "reviewer_hz")
    case_id, nid, task_id = await case_in_review(api, env, clerk)  # a 长春 (220100) case
    refused = {
        "case": await api.get(f"/api/v1/cases/{case_id}", headers=hz_reviewer),
        "notices": await api.get(f"/api/v1/cases/{case_id}/notices", headers=hz_reviewer),
        "task": await api.get(f"/api/v1/tasks/{task_id}", headers=hz_reviewer),
        "claim": await api.post(f"/api/v1/tasks/{task_id}/claim", headers=hz_reviewer),
        "complete": await api.post(
            f"/api/v1/tasks/{task_id}/complete", json={"outcome": "approve"}, headers=hz_reviewer
        ),
        "check-in": await api.post(
            f"/api/v1/cases/{case_id}/check-ins", json={"channel": "counter"}, headers=hz_clerk
        ),
        "case page": await _page(api, hz_reviewer, f"/staff/cases/{case_id}"),
        "task page": await _page(api, hz_reviewer, f"/staff/tasks/{task_id}"),
    }
    wrong = {k: (r.status_code, r.text[:200]) for k, r in refused.items() if r.status_code != 403}
    assert not wrong, wrong
    assert "220100" in refused["case"].json()["detail"]
    # lists and searches leave the case out for them, and keep it for every-region staff
    for who, expect in ((hz_reviewer, False), (clerk, True)):
        listed = await api.get("/api/v1/cases", params={"q": case_id}, headers=who)
        found = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=who)
        tasks = await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=who)
        assert (case_id in [c["case_id"] for c in listed.json()]) is expect
        assert (case_id in [c["case_id"] for c in found.json()]) is expect
        assert (task_id in [t["task_id"] for t in tasks.json()]) is expect
    assert (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).status_code == 200
    # a 杭州 (330100) case is theirs: filed, read and listed
    woman = f.national_id_of("woman", date(1993, 2, 11))
    sep = (await today(env)) - timedelta(days=1)
    r = await api.post(
        "/api/v1/registrations",
        json=f.registration_json(woman, sep, region_code="330100"),
        headers=hz_clerk,
    )
    assert r.status_code == 201, r.text
    hz_case = r.json()["case_id"]
    await case_when(api, hz_reviewer, hz_case, "awaiting_employer_report")
    page = await _page(api, hz_reviewer, f"/staff/cases/{hz_case}")
    assert page.status_code == 200
    # the refusals are in the audit log, naming the user and the case's region
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry).where(
                AuditEntry.action == "access_refused",
                AuditEntry.actor == "reviewer_hz",
                col(AuditEntry.entity_id) == f"/api/v1/cases/{case_id}",
            )
        ).all()
    assert rows and "220100" in (rows[0].reason or "")


async def test_tasks_of_another_group_or_claimed_by_someone_else(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    clerk, reviewer = await login(api, "clerk"), await login(api, "reviewer")
    other = await _token(api, _user(engine, "reviewer"))
    _, _, task_id = await case_in_review(api, env, clerk)
    url = f"/api/v1/tasks/{task_id}"
    assert (await api.post(f"{url}/claim", headers=clerk)).status_code == 403  # not its group
    complete = await api.post(f"{url}/complete", json={"outcome": "approve"}, headers=clerk)
    assert complete.status_code == 403, complete.text
    assert (await api.post(f"{url}/claim", headers=reviewer)).status_code == 200
    taken = await api.post(f"{url}/claim", headers=other)
    assert taken.status_code == 409 and "reviewer" in taken.json()["detail"]
    decided = await api.post(f"{url}/complete", json={"outcome": "approve"}, headers=other)
    assert decided.status_code == 409, decided.text
    assert (await api.post(f"{url}/unclaim", headers=other)).status_code == 403
    done = await api.post(f"{url}/complete", json={"outcome": "approve"}, headers=reviewer)
    assert done.status_code == 200, done.text


async def test_the_filer_of_a_case_cannot_decide_its_review(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """A user who is both clerk and reviewer files a case (a man of 58): another reviewer
    decides its review, not them."""
    both = await _token(api, _user(engine, "clerk,reviewer"))
    reviewer = await login(api, "reviewer")
    nid = f.national_id_of("man", date(1968, 9, 3))
    sep = (await today(env)) - timedelta(days=2)
    for path, body in (
        ("/api/v1/employer-reports", f.employer_report_json(nid, sep)),
        ("/api/v1/registrations", f.registration_json(nid, sep)),
    ):
        r = await api.post(path, json=body, headers=both)
        assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    await case_when(api, both, case_id, "in_review")
    for _ in range(600):  # the task row follows the status closely
        tasks = await api.get(
            "/api/v1/tasks", params={"case_id": case_id, "kind": "review_claim"}, headers=both
        )
        if tasks.json():
            break
        await asyncio.sleep(0.05)
    task_id = tasks.json()[0]["task_id"]
    own = await api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"outcome": "approve"}, headers=both
    )
    assert own.status_code == 403, own.text
    assert "separation of duties" in own.json()["detail"]
    assert "filed" in own.json()["detail"]
    ok = await api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"outcome": "approve"}, headers=reviewer
    )
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("account_name", "survivor_document", "accepted"),
    [
        ("刘测试", None, True),  # the claimant's own name
        ("刘 测试", None, True),  # as a bank writes it, with a space
        ("王某某", None, False),  # anyone else: refused
        ("王某某", "死亡证明 2026-0042 / 亲属关系证明 17", True),  # a documented survivor
        (None, None, True),  # the holder's name stays the one the payment had
    ],
)
def test_a_reissue_pays_the_claimants_own_account_or_a_documented_survivors(
    engine: Engine, account_name: str | None, survivor_document: str | None, accepted: bool
) -> None:
    case_id = f"pn{uuid.uuid4().hex[:12]}"
    with session_scope(engine) as session:
        session.add(
            CaseRecord(
                case_id=case_id,
                region_code="220100",
                status="active",
                stage="benefit",
                claimant_name="刘测试",
                opened_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
    task = Task(
        task_id=f"payment_returned-{case_id}",
        kind="payment_returned",
        case_id=case_id,
        workflow_id="payment-run-x",
        group="finance",
        details={"case_id": case_id},
    )
    user = User(username="finance", full_name="", password_hash="", roles="finance")
    account: dict[str, str] = {"account_number": "6222020200112233446"}
    if account_name is not None:
        account["account_name"] = account_name
    if survivor_document is not None:
        account["survivor_document"] = survivor_document
    with Session(engine) as session:
        if accepted:
            check_separation_and_payee(session, user, task, "reissue", {"bank_account": account})
        else:
            with pytest.raises(ActionError) as refused:
                check_separation_and_payee(
                    session, user, task, "reissue", {"bank_account": account}
                )
            assert refused.value.status == 422
            assert refused.value.loc == ["body", "data", "bank_account", "account_name"]


def test_payee_names_compare_as_a_bank_compares_them() -> None:
    assert payee_name_matches("ＬＩＵ Ｃｅｓｈｉ", "Liu Ceshi")  # full-width, case
    assert payee_name_matches("艾力·买买提", "艾力买买提")
    assert not payee_name_matches("刘测", "刘测试")
    assert not payee_name_matches("", "刘测试") and not payee_name_matches("刘测试", None)


def test_admins_give_users_their_regions_from_the_command_line(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python -m db.users add --regions: a list of codes or "*"; a new user without it works
    every region, an existing one keeps theirs."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    name = f"cli{uuid.uuid4().hex[:8]}"
    try:
        for argv, expect in (
            (["--regions", "330100, 220100,330100"], "220100,330100"),
            ([], "220100,330100"),  # kept
            (["--regions", "*"], "*"),
        ):
            monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
            assert users_cli(["add", name, "--roles", "clerk", *argv]) == 0
            with Session(engine) as session:
                user = session.exec(select(User).where(User.username == name)).one()
            assert user.regions == expect
    finally:
        get_settings.cache_clear()


async def test_finance_of_one_region_neither_see_nor_release_another_regions_runs(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """A payment run (and its tasks) belongs to its region: finance staff of 杭州 neither
    read nor take the release of a 吉林 run, nor see it listed; every-region finance do.
    (The rows are written as the payment run's activities write them.)"""
    run_id = f"R220200-scoped-{uuid.uuid4().hex[:8]}"
    task_id = f"payment_run_release-{run_id}"
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            PaymentRun(
                run_id=run_id,
                region_code="220200",
                status="awaiting_release",
                count=1,
                total=Decimal("755.00"),
                created_at=now,
            )
        )
        session.add(
            Task(
                task_id=task_id,
                kind="payment_run_release",
                workflow_id=ids.payment_run(run_id),
                group="finance",
                title=f"Release run {run_id}",
                created_at=now,
            )
        )
    form = _user(engine, "finance", regions="330100")
    with session_scope(engine) as session:  # finance signs in with a second factor
        user = session.exec(select(User).where(User.username == form["username"])).one()
        user.totp_secret = DEMO_TOTP_SECRET
    hz_finance = await _token(api, {**form, "otp": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    finance = await login(api, "finance")
    mine = await api.get(f"/api/v1/tasks/{task_id}", headers=hz_finance)
    assert mine.status_code == 403 and "220200" in mine.json()["detail"], mine.text
    claim = await api.post(f"/api/v1/tasks/{task_id}/claim", headers=hz_finance)
    assert claim.status_code == 403, claim.text
    page = await _page(api, hz_finance, f"/staff/finance/runs/{run_id}")
    assert page.status_code == 403
    runs = await _page(api, hz_finance, "/staff/finance")
    assert runs.status_code == 200 and run_id not in runs.text
    params: dict[str, str | int] = {"kind": "payment_run_release", "limit": 500}
    listed = await api.get("/api/v1/tasks", params=params, headers=hz_finance)
    assert task_id not in [t["task_id"] for t in listed.json()]
    # finance of every region
    assert (await api.get(f"/api/v1/tasks/{task_id}", headers=finance)).status_code == 200
    listed = await api.get("/api/v1/tasks", params=params, headers=finance)
    assert task_id in [t["task_id"] for t in listed.json()]
    assert run_id in (await _page(api, finance, "/staff/finance")).text


async def test_the_finance_page_refuses_a_reissue_to_someone_else_beside_the_name(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    """The returned-payment form: another holder's name is refused beside the name field;
    with a survivor's document reference the name check passes (the run here has no
    workflow behind it, so the completion itself then ends in a 409)."""
    case_id = f"sv{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    task_id = f"payment_returned-{case_id}-1"
    with session_scope(engine) as session:
        session.add(
            CaseRecord(
                case_id=case_id,
                region_code="220100",
                status="active",
                stage="benefit",
                claimant_name="刘测试",
                opened_at=now,
                updated_at=now,
            )
        )
        session.add(
            Task(
                task_id=task_id,
                kind="payment_returned",
                case_id=case_id,
                workflow_id=ids.payment_run(f"R220100-sv-{case_id}"),
                group="finance",
                title="Payment returned",
                created_at=now,
                details={"case_id": case_id, "month": 1, "reason": "AC04"},
            )
        )
    finance = await login(api, "finance")
    token = finance["Authorization"].removeprefix("Bearer ")
    claims = check_token(token, settings.secret_key)
    assert claims is not None
    api.cookies.clear()
    api.cookies.set(SESSION_COOKIE, token)
    form = {
        CSRF_FIELD: csrf_token(settings.secret_key, claims.session_id),
        "form": "reissue",
        "outcome": "reissue",
        "bank_code": "ICBC",
        "account_number": "6222020200112233446",
        "account_name": "王某某",
    }
    try:
        refused = await api.post(f"/staff/tasks/{task_id}/complete", data=form)
        assert refused.status_code == 422 and 'id="err-account_name"' in refused.text
        survivor = await api.post(
            f"/staff/tasks/{task_id}/complete",
            data={**form, "survivor_document": "死亡证明 2026-0042"},
        )
        assert survivor.status_code == 409, survivor.text[:300]
    finally:
        api.cookies.clear()
