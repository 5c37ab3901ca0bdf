"""What must hold after any run, whatever faults it met (issue 13 §1), read from our ledger
(payments, runs, tasks, audit, reconciliations) and the bank's own records (its
transactions), never from what the workflows say about themselves:

- each obligation paid exactly once (one settled transaction at the bank, the ledger settled
  with the same amount), or cancelled with a reason (audited) and paid never;
- every bank transaction of a booking date reconciled, or a mismatch task open for it;
- every case's months adding up: months 1..n each final, the ledger's paid total the bank's;
- no task lost: each return at the bank has its finance task, each run its release task,
  and no task of a finished run left open;
- no workflow stuck: each run finished, in the ledger and on the Temporal server.

`duplicates` counts money paid more than once; `losses` an obligation neither paid nor
cancelled, money paid the ledger does not know, or a task or workflow lost."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowExecutionStatus

from db.models import AuditEntry, Payment, PaymentRun, ReconciliationRecord, Task
from workflows import ids

FINAL_RUN = ("completed", "empty")


@dataclass
class Verdict:
    obligations: int = 0
    paid: int = 0
    cancelled: int = 0
    duplicates: int = 0
    losses: int = 0
    problems: list[str] = field(default_factory=list)

    def dup(self, what: str) -> None:
        self.duplicates += 1
        self.problems.append(f"DUPLICATE {what}")

    def lost(self, what: str) -> None:
        self.losses += 1
        self.problems.append(f"LOSS {what}")

    def add(self, other: Verdict) -> None:
        self.obligations += other.obligations
        self.paid += other.paid
        self.cancelled += other.cancelled
        self.duplicates += other.duplicates
        self.losses += other.losses
        self.problems += other.problems


def obligation_of(e2e: str) -> str:
    """An end-to-end ID without its attempt: every transaction of one obligation."""
    return e2e.rsplit("-", 1)[0]


def check_money(engine: Engine, bank_txs: list[dict[str, Any]], case_prefix: str = "") -> Verdict:
    """Obligations (of cases whose ID starts with `case_prefix`) against the bank's records."""
    v = Verdict()
    settled_at_bank: dict[str, list[dict[str, Any]]] = defaultdict(list)
    returned_at_bank: set[str] = set()
    for tx in bank_txs:
        if not tx["end_to_end_id"].startswith(case_prefix):
            continue
        if tx["status"] == "ACSC":
            settled_at_bank[obligation_of(tx["end_to_end_id"])].append(tx)
        elif tx["status"] == "RJCT" and tx["accept_reason"] != "DU05":
            returned_at_bank.add(tx["end_to_end_id"])
    with Session(engine) as session:
        payments = [
            p for p in session.exec(select(Payment)).all() if p.case_id.startswith(case_prefix)
        ]
        tasks = {t.task_id: t for t in session.exec(select(Task)).all()}
        cancels = {
            a.key: a
            for a in session.exec(
                select(AuditEntry).where(AuditEntry.action == "payment_cancelled")
            ).all()
        }
    months: dict[str, list[int]] = defaultdict(list)
    ledger_paid: Counter[str] = Counter()
    bank_paid: Counter[str] = Counter()
    for p in payments:
        v.obligations += 1
        months[p.case_id].append(p.month)
        ob = obligation_of(p.end_to_end_id)
        at_bank = settled_at_bank.get(ob, [])
        for tx in at_bank:
            bank_paid[p.case_id] += int(Decimal(tx["amount"]) * 100)
        if len(at_bank) > 1:
            v.dup(f"{ob}: {len(at_bank)} settled transactions at the bank")
        if p.status == "settled":
            v.paid += 1
            ledger_paid[p.case_id] += int(p.amount * 100)
            if not at_bank:
                v.lost(f"{ob}: settled in the ledger, never paid by the bank")
            elif Decimal(at_bank[0]["amount"]) != p.amount:
                v.lost(f"{ob}: the bank paid {at_bank[0]['amount']}, the ledger {p.amount}")
        elif p.status == "cancelled":
            v.cancelled += 1
            returned = [k for k in cancels if k.startswith(f"payment:{ob}-")]
            if not returned or not (cancels[returned[-1]].reason or "").strip():
                v.lost(f"{ob}: cancelled without a reason")
            if at_bank:
                v.lost(f"{ob}: cancelled in the ledger, paid by the bank")
        else:
            v.lost(f"{ob}: {p.status} at the end (neither paid nor cancelled)")
    for e2e in sorted(returned_at_bank):
        if f"payment_returned-{e2e}" not in tasks:
            v.lost(f"task payment_returned-{e2e}: the bank returned it, no task was opened")
    for case_id, ms in months.items():
        if sorted(ms) != list(range(1, len(ms) + 1)):
            v.lost(f"case {case_id}: months {sorted(ms)} are not 1..{len(ms)}")
        if ledger_paid[case_id] != bank_paid[case_id]:
            v.lost(
                f"case {case_id}: the ledger paid {ledger_paid[case_id]} fen, "
                f"the bank {bank_paid[case_id]}"
            )
    return v


def check_reconciled(engine: Engine, bank_txs: list[dict[str, Any]]) -> Verdict:
    """Each booking date with transactions reconciled, or its mismatches' tasks open."""
    v = Verdict()
    days = {date.fromisoformat(tx["booking_date"]) for tx in bank_txs if tx["booking_date"]}
    with Session(engine) as session:
        for day in sorted(days):
            record = session.get(ReconciliationRecord, day)
            if record is None:
                v.lost(f"reconciliation of {day}: none")
                continue
            for m in record.mismatches:
                task = session.get(Task, ids.mismatch_task(day, m["end_to_end_id"]))
                if task is None:
                    v.lost(f"reconciliation of {day}: mismatch {m} without a task")
    return v


async def check_runs(engine: Engine, client: Client, run_ids: set[str]) -> Verdict:
    """Every run finished in the ledger and on the server, its tasks all closed."""
    v = Verdict()
    with Session(engine) as session:
        rows = {r.run_id: r for r in session.exec(select(PaymentRun)).all()}
        tasks = session.exec(select(Task)).all()
    open_by_run: Counter[str] = Counter()
    release_tasks = set()
    for t in tasks:
        if ids.of_payment_run(t.workflow_id):  # the run's tasks, or its returns' workflow's
            run_id = ids.run_id_of(t.workflow_id)
            if t.status in ("open", "claimed"):
                open_by_run[run_id] += 1
            if t.kind == "payment_run_release":
                release_tasks.add(run_id)
    for run_id in sorted(run_ids):
        row = rows.get(run_id)
        if row is None:
            v.lost(f"run {run_id}: no ledger row")
            continue
        if row.status not in FINAL_RUN:
            v.lost(f"run {run_id}: stuck at {row.status!r} in the ledger")
        if row.count and run_id not in release_tasks:
            v.lost(f"run {run_id}: no release task")
        if row.status == "completed" and open_by_run[run_id]:
            v.lost(f"run {run_id}: completed with {open_by_run[run_id]} task(s) open")
        described = await client.get_workflow_handle(ids.payment_run(run_id)).describe()
        if described.status != WorkflowExecutionStatus.COMPLETED:
            v.lost(f"run {run_id}: workflow {described.status.name if described.status else '?'}")
    return v
