"""Stop events on the ledger (domain/stops.py): the benefit obligations of a stopped case
settled in one transaction with the stop's determination, and the overpayment hook.

settle_stop is idempotent on its determination key: a retry finds the determination written
with the ledger changes and answers what it recorded (never prorates twice)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from core.version import code_version
from db import audit, cases, payments
from db.engine import session_scope
from db.models import Determination, Payment
from db.recoveries import open_recovery
from domain.stops import PaidMonth, settle
from payloads.stops import OverpaymentInput, SettleStopInput, SettleStopResult


def gone_out(p: Payment) -> bool:
    """Whether the fund has let the month's money go: not when pending in no run yet, nor
    when returned by the bank and awaiting finance's decision (the money came back; a
    re-issue pays what the row says then, a cancelled row is not re-issued:
    activities/payments.reissue_or_cancel). Sent, settled, or gathered into a run awaiting
    release (its totals fixed): gone."""
    if p.status == "returned":
        return False
    return p.status != "pending" or p.run_id is not None


_DAY = timedelta(days=1)


def _result(det: Determination) -> SettleStopResult:
    r = det.result
    last = r.get("last_paid_day")
    months = r.get("months")
    return SettleStopResult(
        last_paid_day=date.fromisoformat(str(last)) if last else None,
        overpayment=Decimal(str(r.get("overpayment", "0.00"))),
        months=list(months) if isinstance(months, list) else [],
    )


def _benefit_rows(session: Session, case_id: str) -> list[Payment]:
    return payments.entries_of(session, case_id=case_id, category="benefit")


class StopActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def settle_stop(self, inp: SettleStopInput) -> SettleStopResult:
        """Prorate the month containing the effective day, cancel the later months not yet
        gone out, and record what was paid beyond the day (the overpayment) in the stop's
        determination, all in one transaction."""
        with session_scope(self.engine) as session:
            done = cases.find_determination(session, key=inp.key)
            if done is not None:
                return _result(done)
            rows = _benefit_rows(session, inp.case_id)
            gone = {r.month: gone_out(r) for r in rows}
            months = [
                PaidMonth(
                    month=r.month,
                    start=r.period_start,
                    end=r.period_end + _DAY,
                    amount=r.amount,
                    gone_out=gone[r.month],
                )
                for r in rows
                if r.status != "cancelled"
            ]
            result = settle(months, inp.effective_date, inp.proration, inp.rounding)
            by_month = {r.month: r for r in rows}
            for m in result.months:
                row = by_month[m.month]
                if m.action == "prorate":
                    row.amount, row.updated_at = m.due, inp.at
                elif m.action == "cancel":
                    row.status, row.updated_at = "cancelled", inp.at
                else:
                    continue
                session.add(row)
                audit.write(
                    session,
                    key=f"payment:{row.end_to_end_id}:{m.action}",
                    at=inp.at,
                    actor=inp.actor,
                    action=f"payment_{m.action}d",
                    entity_type="case",
                    entity_id=inp.case_id,
                    data={"month": m.month, "from": str(m.owed), "to": str(m.due)},
                    once=True,
                )
            data = result.as_data()
            session.add(
                Determination(
                    key=inp.key,
                    case_id=inp.case_id,
                    kind="stop_event",
                    outcome="stopped",
                    actor=inp.actor,
                    at=inp.at,
                    policy_version=inp.policy_version,
                    code_version=code_version(),
                    inputs={
                        "type": inp.type,
                        "effective_date": inp.effective_date.isoformat(),
                        "evidence": inp.evidence,
                    },
                    result={**data, "effective_date": inp.effective_date.isoformat()},
                    reasons=[inp.type],
                    reason_text=None,
                )
            )
            return SettleStopResult(
                last_paid_day=result.last_paid_day,
                overpayment=result.overpayment,
                months=[dict(m) for m in data["months"]],  # type: ignore[attr-defined]
            )

    @activity.defn
    def record_overpayment(self, inp: OverpaymentInput) -> None:
        """An overpayment kept as data (a ledger-neutral determination with the amount, the
        cause and the months) and, in the same transaction, its recovery record (issue 11 §4:
        finance records the repayments against it)."""
        with session_scope(self.engine) as session:
            if cases.has_determination(session, key=inp.key):
                return
            open_recovery(
                session,
                case_id=inp.case_id,
                cause=inp.cause,
                amount=inp.amount,
                evidence=inp.evidence or f"stop event ({inp.key})",
                created_by="system",
                key=f"recovery:{inp.key}",
                at=inp.at,
            )
            session.add(
                Determination(
                    key=inp.key,
                    case_id=inp.case_id,
                    kind="overpayment",
                    outcome="recorded",
                    actor="system",
                    at=inp.at,
                    policy_version=None,
                    code_version=code_version(),
                    inputs={"cause": inp.cause, "months": list(inp.months)},
                    result={"overpayment": f"{inp.amount:.2f}", "months": list(inp.months)},
                    reasons=[inp.cause],
                    reason_text=None,
                )
            )
