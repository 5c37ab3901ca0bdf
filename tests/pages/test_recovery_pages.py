"""The recovery pages (issue 11 §4-5): finance records a repayment on the recoveries page
(an overpaid one refused beside the form), a supervisor approves an offset on its task page
and sees the fraud findings; the case page shows balances and where its months came from."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.identity import IdentityKeys
from core.settings import Settings
from db.claimant_history import record_closure
from db.engine import session_scope
from db.models import CaseRecord
from db.recoveries import balance_of, get_recovery, open_recovery
from db.recovery import RecoveryOffset
from tests.pages.helpers import csrf_of, page_login
from tests.utils.factories import national_id_of

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _case(engine: Engine, settings: Settings, nid: str, **extra: object) -> str:
    case_id = uuid.uuid4().hex[:20]
    with session_scope(engine) as session:
        session.add(
            CaseRecord(
                case_id=case_id,
                region_code="220100",
                status=str(extra.pop("status", "stopped")),
                stage="closed",
                claimant_name="刘测试",
                national_id_hash=IdentityKeys(settings.case_id_key).search_hash(nid),
                opened_at=AT,
                updated_at=AT,
                **extra,  # type: ignore[arg-type]
            )
        )
    return case_id


def _recovery(engine: Engine, case_id: str, cause: str, amount: str) -> int:
    with session_scope(engine) as session:
        row = open_recovery(
            session, case_id=case_id, cause=cause, amount=Decimal(amount),
            evidence="稽核 12", created_by="reviewer", key=uuid.uuid4().hex, at=AT,
        )  # fmt: skip
        assert row.id is not None
        return row.id


async def test_finance_records_a_repayment_on_the_recoveries_page(
    api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    case_id = _case(engine, settings, national_id_of("woman", date(1966, 8, 8)))
    rid = _recovery(engine, case_id, "error", "755.00")
    await page_login(api, "finance")
    page = await api.get("/staff/recoveries")
    assert page.status_code == 200 and f'id="recovery-{rid}"' in page.text
    csrf = csrf_of(page.text)
    over = await api.post(
        f"/staff/recoveries/{rid}/repay", data={"amount": "800.00", "csrf_token": csrf}
    )
    assert over.status_code == 422 and "755.00" in over.text
    ok = await api.post(
        f"/staff/recoveries/{rid}/repay",
        data={"amount": "300.00", "paid_on": "2026-12-01", "csrf_token": csrf, "key": "p1"},
    )
    assert ok.status_code == 303, ok.text
    with Session(engine) as session:
        assert balance_of(session, get_recovery(session, rid)).owed == Decimal("455.00")
    shown = await api.get(f"/staff/cases/{case_id}")
    assert shown.status_code == 200
    assert 'id="case-recoveries"' in shown.text and "455.00" in shown.text


async def test_a_supervisor_approves_an_offset_and_sees_the_fraud_findings(
    api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    nid = national_id_of("man", date(1979, 1, 20))
    first = _case(engine, settings, nid)
    rid = _recovery(engine, first, "fraud_finding", "1510.00")
    later = _case(engine, settings, nid, status="active")
    await page_login(api, "finance")
    page = await api.get("/staff/recoveries")
    asked = await api.post(
        f"/staff/recoveries/{rid}/offset",
        data={"case_id": later, "csrf_token": csrf_of(page.text)},
    )
    assert asked.status_code == 303, asked.text
    await page_login(api, "supervisor")
    fraud = await api.get("/staff/supervisor/fraud")
    assert fraud.status_code == 200 and f'id="recovery-{rid}"' in fraud.text
    page = await api.get("/staff/recoveries")
    with Session(engine) as session:
        offset = session.exec(select(RecoveryOffset).where(RecoveryOffset.recovery_id == rid)).one()
    assert f'id="offset-{offset.id}"' in page.text
    # the request is the supervisors' task: the page links to it, decided there
    task = f"/staff/tasks/recovery_offset_review-{offset.id}"
    assert f'href="{task}"' in page.text
    shown = await api.get(task)
    assert shown.status_code == 200, shown.text
    done = await api.post(
        f"{task}/complete",
        data={"outcome": "approve", "reason": "本人同意", "csrf_token": csrf_of(shown.text)},
    )
    assert done.status_code == 303, done.text
    with Session(engine) as session:
        assert session.get(RecoveryOffset, offset.id).status == "approved"  # type: ignore[union-attr]


async def test_the_case_page_shows_where_its_months_came_from(
    api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    nid = national_id_of("woman", date(1990, 10, 10))
    earlier = _case(engine, settings, nid)
    with session_scope(engine) as session:
        record_closure(
            session, case_id=earlier, person_ref=IdentityKeys(settings.case_id_key).search_hash(nid),  # noqa: E501
            region_code="220100", status="stopped", entitlement_months=18, used_months=6,
            carried_in=0, carried_from=[], closed_on=date(2026, 6, 1), at=AT,
        )  # fmt: skip
    proposal = {"months": 24, "carried_months": 12, "carried_from": [earlier]}
    later = _case(engine, settings, nid, status="active", proposal=proposal)
    await page_login(api, "clerk")
    page = await api.get(f"/staff/cases/{later}")
    assert page.status_code == 200, page.text
    part = page.text.split('id="carried-months"')[1].split("</div>")[0]
    assert earlier in part and "12" in part
