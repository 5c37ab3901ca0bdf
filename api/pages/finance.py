"""The finance pages: payment runs (totals, release and approval tasks, status per
transaction), returned payments with their open tasks, today's settled totals, and each
fund's ledger totals by category per month."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.access import region_filter
from api.deps import RuntimeDep, SessionDep
from api.pages.web import PageError, StaffPageUser, now, render
from db import payments as ledger
from db import tasks as task_rows
from db.models import Payment, PaymentRun, Task, User
from domain.calendar import AGENCY_TZ
from domain.redaction import tail_digits
from workflows import ids

router = APIRouter()
PAGE_SIZE = 25
ROLES = ("finance", "supervisor")
ACTIVE = ("open", "claimed")


def require_finance(user: User) -> None:
    if not set(ROLES) & set(user.role_set):
        raise PageError(403, "error.forbidden")


def account_tail(number: str | None) -> str:
    """Only the last four digits of an account: ****3446."""
    return f"****{tail_digits(number)}" if number else "–"


@dataclass
class DayTotals:
    """Settled payments of one day by category (账账相符 against the bank statement)."""

    day: date
    by_category: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(n for n, _ in self.by_category.values())

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.by_category.values()), Decimal("0"))


def day_totals(session: Session, day: date) -> DayTotals:
    rows = ledger.settled_by_category(session, day=day)
    return DayTotals(day, {c: (n, s) for c, n, s in rows})


def list_runs(
    session: Session, page: int, regions: tuple[str, ...] | None = None
) -> tuple[list[PaymentRun], int]:
    """A page of the runs (of `regions` only, when given: region-scoped finance staff)."""
    return ledger.runs_page(session, page=page, page_size=PAGE_SIZE, regions=regions)


def run_detail(
    session: Session, run_id: str
) -> tuple[PaymentRun | None, list[Payment], list[Task], dict[str, tuple[int, Decimal]]]:
    run = ledger.find_run(session, run_id=run_id)
    if run is None:
        return None, [], [], {}
    payments = ledger.payments_of_run(session, run_id=run_id)
    tasks = task_rows.tasks_of_workflows(
        session, workflow_ids=[ids.payment_run(run_id), ids.payment_returns(run_id)]
    )
    by_status: dict[str, tuple[int, Decimal]] = {}
    for p in payments:
        n, a = by_status.get(p.status, (0, Decimal("0")))
        by_status[p.status] = (n + 1, a + p.amount)
    return run, payments, tasks, by_status


def returned_payments(
    session: Session, regions: tuple[str, ...] | None = None
) -> list[tuple[Payment, Task | None]]:
    payments = ledger.returned(session, regions=regions)
    ids = [f"payment_returned-{p.end_to_end_id}" for p in payments]
    tasks = task_rows.tasks_by_ids(session, task_ids=ids)
    return [(p, tasks.get(f"payment_returned-{p.end_to_end_id}")) for p in payments]


FUND_CATEGORIES = (
    "benefit",
    "medical_premium",
    "transfer_in",
    "transfer_out",
    "premium_topup",
    "refund",
)


@dataclass
class FundMonth:
    fund: str
    month: str  # YYYY-MM of the entries' period start
    totals: dict[str, Decimal] = field(default_factory=dict)


def fund_totals(session: Session) -> tuple[list[FundMonth], list[str]]:
    """Each fund's ledger totals by category per month (cancelled entries left out), and the
    categories shown (the usual ones, then any other present)."""
    rows: dict[tuple[str, str], FundMonth] = {}
    seen: set[str] = set()
    for name, cat, day, amount in ledger.totals_by_fund(session):
        key = (name, f"{day:%Y-%m}")
        fm = rows.setdefault(key, FundMonth(name, key[1]))
        fm.totals[cat] = fm.totals.get(cat, Decimal("0.00")) + amount
        seen.add(cat)
    categories = [c for c in FUND_CATEGORIES if c in seen or c in ("benefit", "medical_premium")]
    categories += sorted(seen - set(categories))
    return [rows[k] for k in sorted(rows)], categories


def _page(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _ctx_common() -> dict[str, Any]:
    return {"tail": account_tail, "active": ACTIVE}


@router.get("/finance", response_class=HTMLResponse)
async def runs(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Payment runs, newest first, and today's settled totals per category."""
    require_finance(user)
    page = _page(request.query_params.get("page"))
    rows, total = await asyncio.to_thread(list_runs, session, page, region_filter(user))
    today = (await now(runtime)).astimezone(AGENCY_TZ).date()
    totals = await asyncio.to_thread(day_totals, session, today)
    pages = max(1, -(-total // PAGE_SIZE))
    return await render(
        request,
        "staff/finance.html",
        {
            **_ctx_common(),
            "runs": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "prev_link": f"/staff/finance?page={page - 1}" if page > 1 else None,
            "next_link": f"/staff/finance?page={page + 1}" if page < pages else None,
            "day": totals,
        },
        runtime=runtime,
        session=session,
        user=user,
    )


@router.get("/finance/runs/{run_id}", response_class=HTMLResponse)
async def run(
    request: Request, run_id: str, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """One run: its totals, its open tasks and every transaction with its status."""
    require_finance(user)
    found, payments, tasks, by_status = await asyncio.to_thread(run_detail, session, run_id)
    if found is None:
        raise PageError(404, "error.not_found")
    return await render(
        request,
        "staff/finance_run.html",
        {
            **_ctx_common(),
            "run": found,
            "payments": payments,
            "tasks": tasks,
            "by_status": by_status,
        },
        runtime=runtime,
        session=session,
        user=user,
    )


@router.get("/finance/returns", response_class=HTMLResponse)
async def returns(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Returned payments, each with its open payment_returned task."""
    require_finance(user)
    rows = await asyncio.to_thread(returned_payments, session, region_filter(user))
    return await render(
        request,
        "staff/finance_returns.html",
        {**_ctx_common(), "rows": rows},
        runtime=runtime,
        session=session,
        user=user,
    )


@router.get("/finance/funds", response_class=HTMLResponse)
async def funds(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Each fund's totals by category (benefit, medical premium, transfers in and out,
    refunds) per month."""
    require_finance(user)
    rows, categories = await asyncio.to_thread(fund_totals, session)
    return await render(
        request,
        "staff/finance_funds.html",
        {**_ctx_common(), "rows": rows, "categories": categories},
        runtime=runtime,
        session=session,
        user=user,
    )
