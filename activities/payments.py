"""Payment-run activities: gather obligations into a run, submit it to the bank as one
pain.001 (message ID = run ID, so a resubmission is recognised as a duplicate and never
pays twice), apply the bank's per-transaction statuses, re-issue or cancel a return."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import bank_answers as answers
from activities.bank_http import bank_client
from activities.ledger import end_to_end_id
from activities.tell_cases import CaseSignal, as_applied, tell_cases
from core.settings import Settings
from db import audit, payments
from db import payment_ledger as ledger
from db.engine import session_scope
from db.models import BankStatusReport, Payment, PaymentRun
from domain.calendar import AGENCY_TZ
from domain.redaction import tail_digits
from iso20022.errors import MessageError
from iso20022.pain001 import PaymentRun as Pain001Run
from iso20022.pain001 import build_pain001
from iso20022.pain002 import StatusReport, parse_pain002
from payloads.errors import BANK_REJECTED, INVALID_MESSAGE
from payloads.payments import (
    AppliedChange,
    ApplyInput,
    ApplyReportInput,
    ApplyResult,
    GatherInput,
    ReissueInput,
    RunInput,
    RunStatusInput,
    RunSummary,
    StatusUpdate,
    SubmitResult,
)
from policy import PolicySource

MAX_RETURNED = 1000  # returned payments named in one answer (a page; `more` for the rest)
MAX_BANK_TEXT = 300  # characters of the bank's answer carried in an error


class PaymentActivities:
    """`tell_case`: the case workflow's signal for a settled or returned payment."""

    def __init__(
        self, engine: Engine, settings: Settings, policy: PolicySource, *, tell_case: CaseSignal
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.policy = policy
        self.tell_case = tell_case

    @activity.defn
    def gather_run(self, inp: GatherInput) -> RunSummary:
        """Take every pending, unassigned obligation of the region owed up to the cutoff."""
        with session_scope(self.engine) as session:
            run = session.get(PaymentRun, inp.run_id)
            if run is None:
                run = PaymentRun(
                    run_id=inp.run_id,
                    region_code=inp.region_code,
                    status="gathering",
                    created_at=inp.at,
                )
                session.add(run)
            if run.status == "gathering":
                payments.gather_into_run(
                    session, run_id=inp.run_id, region_code=inp.region_code, cutoff=inp.cutoff
                )
            rows = payments.run_totals(session, run_id=inp.run_id)
            totals = {cat: f"{Decimal(total or 0):.2f}" for cat, _, total in rows}
            changed = payments.changed_payees(session, run_id=inp.run_id)
            changers = payments.payee_changers(session, run_id=inp.run_id)
            run.count = sum(int(n) for _, n, _ in rows)
            run.total = sum((Decimal(t) for t in totals.values()), Decimal("0.00"))
            run.totals = totals
            run.status = "awaiting_release" if run.count else "empty"
            session.add(run)
            period = self.policy.current().region(inp.region_code).at(inp.cutoff)
            return RunSummary(
                run.count,
                run.total,
                totals,
                period.release_approval_threshold,
                period.bank_unavailable_alert_hours,
                changed_payees=changed,
                payee_changers=changers,
            )

    @activity.defn
    def set_run_status(self, inp: RunStatusInput) -> None:
        with session_scope(self.engine) as session:
            run = session.get(PaymentRun, inp.run_id)
            if run is None:
                raise ApplicationError(f"no run {inp.run_id}", non_retryable=True)
            if run.status == "completed":
                # run again (a worker killed inside the local activity, before its answer was
                # recorded, re-runs it with a later `at`) or an earlier status's late attempt:
                # a run's end stays as first recorded
                return
            run.status = inp.status
            run.released_by = inp.released_by or run.released_by
            run.approved_by = inp.approved_by or run.approved_by
            if inp.status == "completed":
                run.completed_at = inp.at
            if inp.status == "held":  # the obligations go back to wait for the next run
                payments.release_from_run(session, run_id=inp.run_id)
            session.add(run)

    @activity.defn
    async def submit_run(self, inp: RunInput) -> SubmitResult:
        """Send the run's pain.001. The same run always makes the same message (ID, time,
        transactions), so the bank answers a resubmission as a duplicate: never paid twice.
        Its acceptance (or its duplicate answer) is verified as its status reports are
        (signature over timestamp and body, our clock's window, the run named; the
        acceptance's ID as a nonce) before the ledger calls the run sent: an answer that is
        not the bank's is BANK_UNVERIFIED, once (finance's `bank_rejected` task).
        The answer is counts: the ledger holds the transactions."""
        pain = await asyncio.to_thread(self.message, inp.run_id)
        try:
            message = await asyncio.to_thread(build_pain001, pain)
        except MessageError as err:  # the ledger's data makes no valid message: finance fixes it
            raise ApplicationError(
                f"the run's pain.001 cannot be built: {err}",
                type=INVALID_MESSAGE,
                non_retryable=True,
            ) from err
        resp = await asyncio.to_thread(
            bank_client(self.settings.bank_url).post,
            "/pain001",
            content=message,
            headers={"Content-Type": "application/xml"},
        )
        if 400 <= resp.status_code < 500 and resp.status_code != 409:  # 409: it has it already
            raise ApplicationError(
                f"bank answered {resp.status_code}: {resp.text[:MAX_BANK_TEXT]}",
                type=BANK_REJECTED,
                non_retryable=True,
            )
        if resp.status_code not in (202, 409):  # 5xx: the bank is down or busy; retried
            raise RuntimeError(f"bank answered {resp.status_code}: {resp.text[:MAX_BANK_TEXT]}")
        accepted = await self._accepted(inp, resp)
        await asyncio.to_thread(self._mark_sent, inp)
        outstanding = await asyncio.to_thread(ledger.outstanding, self.engine, inp.run_id)
        return SubmitResult(
            len(pain.transfers), outstanding, self._booked_from(accepted, pain.execution_date)
        )

    def _booked_from(self, accepted: datetime, execution_date: date) -> datetime:
        """When the bank can first have booked the run: not before it accepted the message
        nor before the requested execution date begins (China time), plus its booking lag;
        rounded up to the second (the bank's time in its answer may be cut to the second)."""
        day_starts = datetime.combine(execution_date, time(), AGENCY_TZ)
        at = max(accepted, day_starts) + timedelta(hours=self.settings.bank_booking_hours)
        return at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)

    async def _accepted(self, inp: RunInput, resp: httpx.Response) -> datetime:
        """The bank's own, fresh answer about this run, or BANK_UNVERIFIED; when the bank
        accepted the message (by its signed answer; `inp.at` if it names no time)."""
        body = resp.content
        if len(body) > self.settings.bank_message_max_bytes:
            raise answers.unverified("acceptance over the size cap")
        await answers.verify(self.settings, body, resp.headers, inp.at)
        if resp.status_code == 409:  # the duplicate's answer (JSON) names the message
            try:
                answer = json.loads(body)
                named, accepted_at = answer.get("msg_id"), answer.get("accepted_at")
            except (ValueError, AttributeError):
                named = accepted_at = None
            if named != inp.run_id:
                raise answers.unverified(f"a duplicate answer about {named!r}, not {inp.run_id}")
            return _aware(accepted_at) or inp.at
        return (await self._report_of_run(body, inp)).created_at

    async def _report_of_run(self, body: bytes, inp: RunInput) -> StatusReport:
        """A verified pain.002 (the acceptance, or a polled status) parsed: it must be about
        this run and its message ID never seen before (a nonce)."""
        try:
            report = await asyncio.to_thread(parse_pain002, body)
        except MessageError as err:
            raise answers.unverified(f"malformed pain.002: {err}") from None
        if report.original_msg_id != inp.run_id:
            raise answers.unverified(f"a pain.002 of {report.original_msg_id}, not {inp.run_id}")
        await asyncio.to_thread(answers.take_nonce, self.engine, report.msg_id, "pain.002", inp.at)
        return report

    def _mark_sent(self, inp: RunInput) -> None:
        with session_scope(self.engine) as session:
            payments.mark_sent(session, run_id=inp.run_id, at=inp.at)
            run = session.get(PaymentRun, inp.run_id)
            assert run is not None
            if run.status not in ("submitted", "completed"):
                run.status, run.submitted_at = "submitted", inp.at
                session.add(run)

    def message(self, run_id: str) -> Pain001Run:
        """The run as a pain.001 (its transfers in end-to-end ID order): always the same."""
        s = self.settings
        created_at, transfers = ledger.run_transfers(self.engine, run_id)
        return Pain001Run(
            msg_id=run_id,
            created_at=created_at,
            execution_date=created_at.date(),
            debtor_name=s.fund_account_name,
            debtor_account=s.fund_account_number,
            debtor_bank_code=s.fund_bank_code,
            transfers=transfers,
        )

    @activity.defn
    async def poll_run(self, inp: RunInput) -> ApplyResult:
        """The fallback for a lost webhook: ask the bank for the run's statuses, apply them
        here and answer counts (returns bounded: `more` asks again)."""
        activity.heartbeat("asking the bank")
        status, body, headers = await answers.get(self.settings, f"/status/{inp.run_id}")
        if status == 404:
            return ApplyResult(outstanding=-1)
        if not 200 <= status < 300:  # 5xx: the bank is down or busy; retried
            raise RuntimeError(f"bank answered {status}: {body[:MAX_BANK_TEXT]!r}")
        await answers.verify(self.settings, body, headers, inp.at)  # before a byte of it is parsed
        report = await self._report_of_run(body, inp)
        activity.heartbeat("applying")
        return await self._apply(inp.run_id, inp.at, updates_of(report), bound=MAX_RETURNED)

    @activity.defn
    async def apply_report(self, inp: ApplyReportInput) -> ApplyResult:
        """The statuses of a report the bank's webhook delivered and the API kept, applied as
        a poll's are: counts back, returns bounded (`more`: ask again; a status applied
        already changes nothing). Each call reads and parses the whole report again (~3 s for
        100,000); only runs with more than 1,000 returns need a second call."""
        activity.heartbeat("reading the report")
        body = await asyncio.to_thread(self._report_body, inp)
        updates = await asyncio.to_thread(status_updates, body)
        return await self._apply(inp.run_id, inp.at, updates, bound=MAX_RETURNED)

    def _report_body(self, inp: ApplyReportInput) -> bytes:
        with session_scope(self.engine) as session:
            row = session.get(BankStatusReport, inp.report_id)
            if row is None or row.run_id != inp.run_id:
                raise ApplicationError(
                    f"no status report {inp.report_id} for run {inp.run_id}", non_retryable=True
                )
            return row.body

    @activity.defn
    async def apply_statuses(self, inp: ApplyInput) -> ApplyResult:
        """Settled or returned, once: a status already applied (a webhook answered twice,
        a poll after a webhook) changes nothing. The cases are told here; the answer is
        counts plus the returned payments."""
        return await self._apply(inp.run_id, inp.at, inp.statuses, bound=None)

    def _plan(self, run_id: str, at: datetime, statuses: list[StatusUpdate]) -> list[ledger.Change]:
        today = at.astimezone(AGENCY_TZ).date()
        wanted: dict[str, ledger.Wanted] = {}
        for st in statuses:
            new = {"ACSC": "settled", "RJCT": "returned"}.get(st.status)
            if new is not None and st.reason != "DU05":  # DU05: a duplicate; the original stands
                # settled on the bank's booking date (China time), so the ledger matches its
                # statement across midnight; today only when the bank gives none
                day = st.booked_at.astimezone(AGENCY_TZ).date() if st.booked_at else today
                wanted[st.end_to_end_id] = ledger.Wanted(new, st.reason, day, st.booked_at)
        return ledger.plan(self.engine, run_id, wanted)

    async def _apply(
        self, run_id: str, at: datetime, statuses: list[StatusUpdate], *, bound: int | None
    ) -> ApplyResult:
        """Plan, tell the cases, then record (a crash between them tells a case twice, never
        leaves one untold); `bound`: stop after that many returns, `more` says so."""
        result = ApplyResult()
        for part in ledger.chunks(statuses):
            changes = await asyncio.to_thread(self._plan, run_id, at, list(part))
            applied = [as_applied(ch) for ch in changes]
            await tell_cases(applied, self.tell_case)
            await asyncio.to_thread(ledger.record, self.engine, run_id, at, changes)
            activity.heartbeat(result.settled)  # a page done: the worker is alive
            result.settled += sum(1 for ch in changes if ch.status == "settled")
            result.returned += [ch for ch in applied if ch.status == "returned"]
            if bound is not None and len(result.returned) >= bound:
                result.more = True
                break
        result.outstanding = await asyncio.to_thread(ledger.outstanding, self.engine, run_id)
        return result

    @activity.defn
    def returns_awaiting_decision(self, inp: RunInput) -> list[AppliedChange]:
        """The run's returned payments as the ledger has them, however their statuses
        arrived: an apply that recorded a return and then failed before answering is retried
        and no longer sees it as a change, so the run asks the ledger before it finishes."""
        rows = ledger.returned(self.engine, inp.run_id, MAX_RETURNED)
        return [AppliedChange(e2e, case, month, "returned", why) for e2e, case, month, why in rows]

    @activity.defn
    def complete_unless_returned(self, inp: RunInput) -> list[AppliedChange]:
        """The end of a run that saw no return: `returns_awaiting_decision`, and when the
        ledger has none either, the run recorded completed at once (one round trip instead of
        two; a return found leaves the run as it is, to wait for finance's decisions)."""
        missed = self.returns_awaiting_decision(inp)
        if not missed:
            self.set_run_status(RunStatusInput(inp.run_id, "completed", inp.at))
        return missed

    @activity.defn
    def reissue_or_cancel_many(self, decisions: list[ReissueInput]) -> int:
        """Finance's decisions on many returns (workflows/payment_returns.py), each applied as
        `reissue_or_cancel` applies one (in its own transaction, once: a retry changes nothing
        already done). How many."""
        for inp in decisions:
            self.reissue_or_cancel(inp)
            activity.heartbeat(inp.end_to_end_id)
        return len(decisions)

    @activity.defn
    def reissue_or_cancel(self, inp: ReissueInput) -> str:
        """A returned payment: a new transaction of the same obligation (new end-to-end ID,
        corrected account, back to pending for the next run), or cancelled with a reason."""
        with session_scope(self.engine) as session:
            p = payments.find_payment(session, end_to_end_id=inp.end_to_end_id)
            if p is None:  # already re-issued under a new ID by an earlier attempt
                return "done"
            if p.status != "returned":
                return p.status
            if inp.cancel_reason is not None:
                p.status, action = "cancelled", "payment_cancelled"
            else:
                p.attempt += 1
                p.end_to_end_id = end_to_end_id(p.case_id, p.month, p.category, p.attempt)
                before = (p.bank_code, p.account_number, p.account_name)
                p.bank_code = inp.bank_code or p.bank_code
                p.account_number = inp.account_number or p.account_number
                p.account_name = inp.account_name or p.account_name
                if (p.bank_code, p.account_number, p.account_name) != before:
                    # a new payee: the run that pays it needs a second approval (issue 13 §4)
                    p.payee_changed_by = inp.actor
                p.status, p.run_id, p.returned_reason = "pending", None, None
                action = "payment_reissued"
            p.updated_at = inp.at
            session.add(p)
            audit.write(
                session,
                key=f"payment:{inp.end_to_end_id}:{action}",
                at=inp.at,
                actor=inp.actor,
                action=action,
                entity_type="case",
                entity_id=p.case_id,
                reason=inp.cancel_reason,
                data=_reissue_data(inp, p),
                once=True,
            )
            return p.status


def _aware(value: object) -> datetime | None:
    """An ISO 8601 time from the bank's JSON (UTC when it names no offset), or None."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


def _reissue_data(inp: ReissueInput, p: Payment) -> dict[str, Any]:
    """The journal's line of a re-issue or a cancellation: the new account by its tail."""
    data: dict[str, Any] = {"from": inp.end_to_end_id, "to": p.end_to_end_id}
    if inp.cancel_reason is None and inp.account_number:
        data["account"] = {
            "bank_code": p.bank_code,
            "account_tail": tail_digits(p.account_number or ""),
        }
    return data


def status_updates(pain002: bytes) -> list[StatusUpdate]:
    """The per-transaction statuses of a pain.002."""
    return updates_of(parse_pain002(pain002))


def updates_of(report: StatusReport) -> list[StatusUpdate]:
    return [StatusUpdate(s.end_to_end_id, s.status, s.reason, s.booked_at) for s in report.statuses]
