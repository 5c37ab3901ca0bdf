"""ClaimWorkflow: one unemployment-insurance case, `case-<case_id>`, from intake onwards.

Stages 1-2 of DOMAIN.md: the employer's termination report (15 days from separation) and
the claimant's registration (30 days from the notice), with reminders, the supervisor task
for an overdue employer, lapse, and a supervisor's decision on a late registration. When
both have arrived the case moves to `in_review` with the system's pre-check and proposal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities, SyncCaseInput
    from activities.determinations import DeterminationActivities, DeterminationInput
    from activities.notifications import NotificationActivities, NotifyInput
    from activities.payment_models import AppliedChange
    from activities.rules import AssessInput, CasePolicyInput, PlanDeadlineInput, RuleActivities
    from domain.calendar import AGENCY_TZ
    from domain.deadlines import deadline_expiry, reminder_instant
    from domain.eligibility import ALL_REASONS
    from domain.review import APPEAL_NOTICE_ZH, REJECTION_REASONS, check_review_outcome
    from domain.tasks import OutcomeError
    from workflows.benefit_months import BenefitMonths
    from workflows.calendar_change import recompute_deadlines
    from workflows.case_models import (
        CLOSED_STATUSES,
        CalendarChanged,
        CaseEventRecord,
        CaseState,
        CheckInInput,
        CheckInResult,
        ClaimInput,
        ClaimResult,
        CompleteTaskInput,
        DeadlineInfo,
        EmployerReport,
        Entitlement,
        ExtendDeadlineInput,
        Registration,
        TaskCompletion,
        TaskState,
    )
    from workflows.human_task import FORBIDDEN, INVALID_OUTCOME, TASK_CLOSED, HumanTasks
    from workflows.waiting import fixed, wait_until

SHORT = timedelta(seconds=30)
REVIEW_PATCH = "review-stage"
BENEFIT_MONTHS_PATCH = "benefit-months"
PAYMENT_ONCE_PATCH = "payment-update-once"  # the ledger tells a case at least once
SYNC_LOCAL_PATCH = "sync-case-local"  # the read model is written by a local activity
DEADLINE_OF_TASK = {"review_claim": "review"}
# Signal names, also used by the API's signal-with-start (which takes a name, not a method).
EMPLOYER_REPORT_SIGNAL = "submit_employer_report"
REGISTRATION_SIGNAL = "submit_registration"
NOTIFY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=20)


@workflow.defn
class ClaimWorkflow:
    @workflow.init
    def __init__(self, inp: ClaimInput) -> None:
        self.s = inp.state or CaseState(case_id=inp.case_id)
        self.months = BenefitMonths(self)
        self.tasks = HumanTasks(
            workflow.info().workflow_id, self.s.case_id, self.s.tasks, on_event=self.event
        )
        self._syncing = False
        self._background: list[asyncio.Task[None]] = []
        self._calendar_lock = asyncio.Lock()  # one recomputation at a time

    # ---- signals, updates, queries -------------------------------------------------------

    @workflow.signal(name=EMPLOYER_REPORT_SIGNAL)
    def submit_employer_report(self, report: EmployerReport) -> None:
        s = self.s
        if s.employer_report is not None:
            if report != s.employer_report:
                self.event("employer_report_resubmitted", report.submitted_by, changed=True)
            return
        s.employer_report = report
        s.employer_report_received = self.today()
        s.region_code = s.region_code or report.region_code
        self.event(
            "employer_report_received",
            report.submitted_by,
            employer=report.employer_name,
            reason_code=report.reason_code,
            contribution_months=report.contribution_months,
            separation_date=report.separation_date.isoformat(),
            notice_date=report.notice_date.isoformat(),
        )

    @workflow.signal(name=REGISTRATION_SIGNAL)
    def submit_registration(self, registration: Registration) -> None:
        s = self.s
        if s.registration is not None:
            if registration != s.registration:
                self.event("registration_resubmitted", registration.submitted_by, changed=True)
            return
        s.registration = registration
        s.registration_date = self.today()
        s.region_code = s.region_code or registration.region_code
        if registration.region_code != s.region_code:
            self.event("region_mismatch", None, registration_region=registration.region_code)
        self.event(
            "registration_received",
            registration.submitted_by,
            seeking_work=registration.seeking_work,
            bank_account_given=registration.bank_account is not None,
        )

    @workflow.update
    async def complete_task(self, inp: CompleteTaskInput) -> TaskCompletion:
        done = await self.tasks.complete(inp)
        self.event(
            "task_completed",
            inp.actor,
            task_id=inp.task_id,
            kind=done.kind,
            outcome=inp.outcome,
            reason=inp.reason,
        )
        return done

    @complete_task.validator
    def _validate_completion(self, inp: CompleteTaskInput) -> None:
        self.tasks.validate(inp, self._check_task_data)

    @workflow.update
    async def extend_deadline(self, inp: ExtendDeadlineInput) -> DeadlineInfo:
        """A supervisor moves a running deadline; its timers and its task follow."""
        s = self.s
        dl = s.deadlines[inp.kind]
        old = dl.due_date
        dl.due_date = old + timedelta(days=inp.days)
        dl.extensions.append(
            {
                "from": old.isoformat(),
                "to": dl.due_date.isoformat(),
                "days": inp.days,
                "reason": inp.reason,
                "by": inp.actor,
                "at": workflow.now().isoformat(),
            }
        )
        self.event(
            "deadline_extended",
            inp.actor,
            kind=inp.kind,
            to=dl.due_date.isoformat(),
            days=inp.days,
            reason=inp.reason,
        )
        await self._deadline_moved(dl)
        return dl

    async def _deadline_moved(self, dl: DeadlineInfo) -> None:
        """The open tasks whose due time derives from `dl` follow it (an extension, or a
        recomputation once the calendar of its year is loaded)."""
        for task in list(self.s.tasks.values()):
            if task.completion is None and DEADLINE_OF_TASK.get(task.kind) == dl.kind:
                await self.tasks.move_due(
                    task,
                    deadline_expiry(dl.due_date),
                    reminder_instant(dl.due_date - timedelta(days=1)),
                    provisional=dl.provisional,
                )

    @extend_deadline.validator
    def _validate_extension(self, inp: ExtendDeadlineInput) -> None:
        s = self.s
        if "supervisor" not in inp.actor_roles:
            raise ApplicationError("only supervisors extend deadlines", type=FORBIDDEN)
        dl = s.deadlines.get(inp.kind)
        if dl is None:
            raise ApplicationError(
                f"this case has no {inp.kind} deadline", "kind", type=INVALID_OUTCOME
            )
        if not 1 <= inp.days <= 90:
            raise ApplicationError("an extension is 1 to 90 days", "days", type=INVALID_OUTCOME)
        if not inp.reason.strip():
            raise ApplicationError("an extension needs a reason", "reason", type=INVALID_OUTCOME)
        running = (
            dl.met_on is None
            and not dl.missed
            and deadline_expiry(dl.due_date) > workflow.now()
            and s.status not in CLOSED_STATUSES
        )
        if not running:
            raise ApplicationError(
                f"the {inp.kind} deadline is no longer running (due {dl.due_date})",
                type=TASK_CLOSED,
            )

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """An admin loaded a year's holiday schedule: provisional deadlines in it recompute."""
        async with self._calendar_lock:
            await recompute_deadlines(
                self.s, change, event=self.event, deadline_moved=self._deadline_moved
            )

    @workflow.signal(name="payment_update")
    def payment_update(self, change: AppliedChange) -> None:
        """A payment of this case was settled or returned by the bank. The payment activities
        tell the case at least once (a retry after a crash tells it again): one event each."""
        if workflow.patched(PAYMENT_ONCE_PATCH):
            key = f"{change.end_to_end_id}:{change.status}"
            if key in self.s.payment_updates:
                return
            self.s.payment_updates.append(key)
        self.event(
            f"payment_{change.status}",
            "bank",
            month=change.month,
            end_to_end_id=change.end_to_end_id,
            reason=change.reason,
        )

    @workflow.update
    def check_in(self, inp: CheckInInput) -> CheckInResult:
        """The claimant's monthly check-in (报到), once inside each benefit month."""
        return self.months.check_in(inp)

    @check_in.validator
    def _validate_check_in(self, inp: CheckInInput) -> None:
        self.months.validate_check_in(inp)

    @workflow.query
    def state(self) -> CaseState:
        return self.s

    # ---- main flow -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ClaimInput) -> ClaimResult:
        s = self.s
        syncer = asyncio.create_task(self._sync_loop())
        if s.stage == "benefits":  # continued as new at a month boundary
            self.tasks.resume()
            self.months.resume()
        else:
            await self._until_benefits()
        if s.stage == "benefits":
            outcome = await self.months.run_month()
            if outcome == "next":
                await self._settle()
                syncer.cancel()
                workflow.continue_as_new(ClaimInput(case_id=s.case_id, state=s))
            self._close_benefits(outcome)
        await self._settle()
        syncer.cancel()
        return ClaimResult(case_id=s.case_id, status=s.status, closure_reason=s.closure_reason)

    async def _until_benefits(self) -> None:
        """Intake and review; the case leaves here closed or in the benefits stage."""
        s = self.s
        await workflow.wait_condition(
            lambda: s.employer_report is not None or s.registration is not None
        )
        if s.opened_at is None:
            s.opened_at = workflow.now()
            self.event("case_opened", None)
        assert s.region_code is not None
        if s.policy is None:
            s.policy = await workflow.execute_activity_method(
                RuleActivities.case_policy,
                CasePolicyInput(region_code=s.region_code, on=self._separation_date()),
                start_to_close_timeout=SHORT,
            )
        if not await self._intake():
            return
        await self._enter_review()
        if not workflow.patched(REVIEW_PATCH):  # entered review before the review stage existed
            await workflow.wait_condition(lambda: s.stage != "review")
            return
        if await self._review():
            if workflow.patched(BENEFIT_MONTHS_PATCH):
                assert s.entitlement is not None
                self.months.begin(s.entitlement)
            else:  # approved before benefit months existed
                await workflow.wait_condition(lambda: s.stage != "benefits")

    def _close_benefits(self, outcome: str) -> None:
        s = self.s
        s.stage = "closed"
        if outcome == "stopped":
            self._set_status("stopped", "missed_check_ins")
        else:
            self._set_status("exhausted", "entitlement_exhausted")

    async def _settle(self) -> None:
        """Before finishing or continuing as new: nothing in flight, the read model current."""
        s = self.s
        for waiter in (*self.tasks.watchers, *self.months.waiters):
            waiter.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._background)
        await workflow.wait_condition(lambda: not s.unsynced_events and not self._syncing)

    async def _intake(self) -> bool:
        """Stages 1-2. True when the case goes on to review, False when it closed lapsed."""
        s = self.s
        await self._plan("employer_report", self._separation_date())
        while True:
            if s.employer_report is not None:
                self._note_employer_timeliness()
            if s.employer_report is None and s.employer_facts_by_supervisor is None:
                self._set_status("awaiting_employer_report")
                await self._await_employer_report()
                continue
            if s.registration is None:
                self._set_status("awaiting_registration")
                if not await self._await_registration():
                    return await self._after_lapse()
                continue
            if not s.late_registration_accepted and await self._registered_late():
                return await self._decide_late_registration()
            return True

    async def _await_employer_report(self) -> None:
        """DOMAIN.md stage 1: 15 days from separation; remind, then a supervisor task."""
        s = self.s
        dl = await self._plan("employer_report", self._separation_date())
        arrived: Callable[[], bool] = lambda: s.employer_report is not None  # noqa: E731
        if await self._remind_until(dl, arrived, self._remind_employer):
            return
        self._missed(dl)
        assert s.policy is not None
        n = 0
        while not arrived():
            n += 1
            task = await self.open_task(
                "employer_report_overdue",
                f"employer_report_overdue-{s.case_id}-{n}",
                "用人单位逾期未办理退工手续 / Employer report overdue",
                employer_report_due=dl.due_date.isoformat(),
            )
            done = await self.tasks.wait(task.task_id, also=arrived)
            if done is None:
                await self.tasks.close_by_system(
                    task.task_id, "resolved", "the employer report arrived"
                )
                return
            if done.outcome == "resolved":
                if not arrived():
                    s.employer_facts_by_supervisor = {
                        "reason_code": done.data["reason_code"],
                        "contribution_months": int(done.data["contribution_months"]),
                        "recorded_by": done.actor,
                        "reason": done.reason,
                    }
                    self.event("employer_facts_recorded", done.actor, **done.data)
                return
            # ordered (责令限期办理, seed 000 art. 41): wait out the time limit, then ask again.
            days = int(done.data.get("days") or s.policy.task_due_days.get("employer_order", 15))
            until = workflow.now() + timedelta(days=days)
            self.event("employer_ordered", done.actor, days=days, reason=done.reason)
            await wait_until(arrived, fixed(until))

    def _note_employer_timeliness(self) -> None:
        """Record whether the report came within its 15 days (late employers: seed 000 art. 41)."""
        s = self.s
        dl = s.deadlines["employer_report"]
        received = s.employer_report_received
        if dl.met_on is not None or dl.missed or received is None:
            return
        if received <= dl.due_date:
            dl.met_on = received
            self.event("deadline_met", None, kind=dl.kind, on=received.isoformat())
        else:
            self._missed(dl)

    async def _await_registration(self) -> bool:
        """DOMAIN.md stage 2: 30 days from the notice; remind; True when registered."""
        s = self.s
        assert s.employer_report is not None
        dl = await self._plan("registration", s.employer_report.notice_date)
        if await self._remind_until(dl, lambda: s.registration is not None, self._remind_claimant):
            dl.met_on = s.registration_date
            return True
        self._missed(dl)
        self._set_status("lapsed", "registration_deadline_missed")
        self.spawn(
            self.notify(
                "case_lapsed", "case_lapsed", **self.claimant_contact(), due_date=dl.due_date
            )
        )
        return False

    async def _after_lapse(self) -> bool:
        """A lapsed case still takes a late registration for a window, for a supervisor."""
        s = self.s
        assert s.policy is not None
        due = s.deadlines["registration"].due_date
        window_end = deadline_expiry(due) + timedelta(days=s.policy.late_registration_window_days)
        if not await wait_until(lambda: s.registration is not None, lambda: window_end):
            self.event("late_registration_window_closed", None)
            return False
        return await self._decide_late_registration()

    async def _registered_late(self) -> bool:
        """Registration came first: once the notice date is known, was it within 30 days?"""
        s = self.s
        dl = s.deadlines.get("registration")
        if dl is None:
            notice = s.employer_report.notice_date if s.employer_report else None
            notice = notice or (s.registration.notice_date if s.registration else None)
            if notice is None:
                return False
            dl = await self._plan("registration", notice)
        assert s.registration_date is not None
        if s.registration_date > dl.due_date:
            self._missed(dl)
            return True
        dl.met_on = s.registration_date
        return False

    async def _decide_late_registration(self) -> bool:
        s = self.s
        self._set_status("lapsed", "registration_deadline_missed")
        task = await self.open_task(
            "late_registration",
            f"late_registration-{s.case_id}",
            "逾期失业登记审核 / Late registration",
            registration_due=s.deadlines["registration"].due_date.isoformat(),
            registered_on=s.registration_date.isoformat() if s.registration_date else None,
        )
        done = await self.tasks.wait(task.task_id)
        assert done is not None
        if done.outcome == "accept":
            s.late_registration_accepted = True
            s.closure_reason = None
            self.event("late_registration_accepted", done.actor, reason=done.reason)
            return True
        self.event("late_registration_refused", done.actor, reason=done.reason)
        return False

    async def _enter_review(self) -> None:
        """Both parts are in: record the pre-check and the proposed entitlement."""
        s = self.s
        assert s.region_code is not None and s.registration is not None
        facts = self._employer_facts()
        s.stage = "review"
        s.proposal = await workflow.execute_activity_method(
            RuleActivities.assess_claim,
            AssessInput(
                region_code=s.region_code,
                on=s.registration_date or self.today(),
                contribution_months=facts.get("contribution_months"),
                reason_code=facts.get("reason_code"),
                registered=True,
                seeking_work=s.registration.seeking_work,
                carried_months=facts.get("carried_months", 0),
                national_id=s.registration.national_id,
            ),
            start_to_close_timeout=SHORT,
        )
        await self._plan("review", self.today())
        self._set_status("in_review")
        p = s.proposal
        self.event(
            "precheck_recorded",
            None,
            eligible=p.eligible,
            months=p.months,
            monthly_amount=str(p.monthly_amount),
            policy_version=p.policy_version,
        )

    async def _review(self) -> bool:
        """Stage 3 (seed 002 art. 9): a reviewer decides within 15 days of acceptance;
        overdue, the task escalates to the supervisors. True when approved (case active)."""
        s = self.s
        assert s.proposal is not None
        p = s.proposal
        verdict = {True: "eligible", False: "ineligible", None: "undetermined"}[p.eligible]
        await self._determine(
            "precheck",
            verdict,
            "system",
            p.policy_version,
            inputs={**self._employer_facts(), "seeking_work": self._seeking_work()},
            result={
                "checks": p.checks,
                "months": p.months,
                "monthly_amount": str(p.monthly_amount),
            },
        )
        dl = s.deadlines["review"]
        task = await self.open_task(
            "review_claim",
            f"review_claim-{s.case_id}",
            "失业保险金申领审核 / Review claim",
            due_at=deadline_expiry(dl.due_date),
            reminders=[reminder_instant(d) for d in dl.reminders],
            provisional=dl.provisional,
            review_due=dl.due_date.isoformat(),
            eligible=p.eligible,
            months=p.months,
            monthly_amount=str(p.monthly_amount),
        )
        done = await self.tasks.wait(task.task_id)
        assert done is not None
        if self.today() <= dl.due_date:
            dl.met_on = self.today()
        else:
            dl.missed = True
        if done.outcome == "approve":
            await self._approve(done)
            return True
        await self._reject(done)
        return False

    async def _approve(self, done: TaskCompletion) -> None:
        s = self.s
        assert s.proposal is not None and s.region_code is not None and s.registration
        facts = self._employer_facts()
        reported = int(facts.get("contribution_months") or 0)
        corrected = done.data.get("contribution_months")
        proposal = s.proposal
        if corrected is not None and corrected != reported:
            proposal = await workflow.execute_activity_method(
                RuleActivities.assess_claim,
                AssessInput(
                    region_code=s.region_code,
                    on=proposal.start_date,
                    contribution_months=corrected,
                    reason_code=facts.get("reason_code"),
                    registered=True,
                    seeking_work=s.registration.seeking_work,
                    carried_months=facts.get("carried_months", 0),
                    national_id=s.registration.national_id,
                ),
                start_to_close_timeout=SHORT,
            )
        assert proposal.end_date is not None
        s.entitlement = Entitlement(
            months=proposal.months,
            monthly_amount=proposal.monthly_amount,
            start_date=proposal.start_date,
            end_date=proposal.end_date,
            contribution_months=corrected if corrected is not None else reported,
            policy_version=proposal.policy_version,
        )
        ent = {
            "months": proposal.months,
            "monthly_amount": str(proposal.monthly_amount),
            "start_date": proposal.start_date.isoformat(),
            "end_date": proposal.end_date.isoformat(),
        }
        s.decision = self._decision(done, proposal.policy_version, ent, reported, corrected)
        await self._determine(
            "review",
            "approve",
            done.actor,
            proposal.policy_version,
            inputs={**facts, "corrected_contribution_months": corrected},
            result=ent,
            reason_text=done.reason,
        )
        s.stage = "benefits"
        self._set_status("active")
        self.spawn(
            self.notify(
                "review_approved",
                "review_approved",
                **self.claimant_contact(),
                months=proposal.months,
                monthly_amount=str(proposal.monthly_amount),
                start_date=proposal.start_date,
                end_date=proposal.end_date,
            )
        )

    async def _reject(self, done: TaskCompletion) -> None:
        s = self.s
        assert s.proposal is not None
        reasons = [str(r) for r in done.data.get("reasons", [])]
        s.decision = self._decision(done, s.proposal.policy_version, None, None, None)
        await self._determine(
            "review",
            "reject",
            done.actor,
            s.proposal.policy_version,
            inputs=self._employer_facts(),
            reasons=reasons,
            reason_text=done.reason,
        )
        s.stage = "closed"
        self._set_status("rejected", "review_rejected")
        self.spawn(
            self.notify(
                "review_rejected",
                "review_rejected",
                **self.claimant_contact(),
                reasons=[REJECTION_REASONS[r][0] for r in reasons],
                reason_text=done.reason or "",
                appeal=APPEAL_NOTICE_ZH,
            )
        )

    def _decision(
        self,
        done: TaskCompletion,
        policy_version: str,
        entitlement: dict[str, Any] | None,
        reported: int | None,
        corrected: int | None,
    ) -> dict[str, Any]:
        return {
            "outcome": done.outcome,
            "decided_by": done.actor,
            "decided_at": done.completed_at.isoformat(),
            "reasons": [str(r) for r in done.data.get("reasons", [])],
            "reason_text": done.reason,
            "contribution_months": corrected if corrected is not None else reported,
            "corrected_from": reported if corrected is not None and corrected != reported else None,
            "entitlement": entitlement,
            "policy_version": policy_version,
            "determination_key": f"{self.s.case_id}:review",
        }

    async def _determine(
        self,
        kind: str,
        outcome: str,
        actor: str,
        policy_version: str | None,
        *,
        inputs: dict[str, Any],
        result: dict[str, Any] | None = None,
        reasons: list[str] | None = None,
        reason_text: str | None = None,
    ) -> None:
        """Keep a decision as evidence (inputs, policy and code versions, actor, reasons)."""
        await workflow.execute_activity_method(
            DeterminationActivities.record_determination,
            DeterminationInput(
                key=f"{self.s.case_id}:{kind}",
                case_id=self.s.case_id,
                kind=kind,
                outcome=outcome,
                actor=actor,
                at=workflow.now(),
                policy_version=policy_version,
                inputs=inputs,
                result=result or {},
                reasons=reasons or [],
                reason_text=reason_text,
            ),
            start_to_close_timeout=SHORT,
        )
        self.event("determination", actor, kind=kind, outcome=outcome)

    def _seeking_work(self) -> bool | None:
        return self.s.registration.seeking_work if self.s.registration else None

    # ---- deadlines and reminders -----------------------------------------------------------

    async def _plan(self, kind: str, start: date) -> DeadlineInfo:
        s = self.s
        if kind in s.deadlines:
            return s.deadlines[kind]
        assert s.region_code is not None
        plan = await workflow.execute_activity_method(
            RuleActivities.plan_deadline,
            PlanDeadlineInput(region_code=s.region_code, kind=kind, start=start),
            start_to_close_timeout=SHORT,
        )
        dl = DeadlineInfo(
            kind=kind,
            start=plan.start,
            due_date=plan.due_date,
            reminders=list(plan.reminders),
            warnings=list(plan.warnings),
            policy_version=plan.policy_version,
            provisional=plan.provisional,
            provisional_years=list(plan.provisional_years),
        )
        s.deadlines[kind] = dl
        self.event("deadline_set", None, kind=kind, due_date=dl.due_date.isoformat())
        return dl

    async def _remind_until(
        self,
        dl: DeadlineInfo,
        done: Callable[[], bool],
        remind: Callable[[DeadlineInfo, date], Coroutine[Any, Any, None]],
    ) -> bool:
        """Send each reminder still ahead; True as soon as `done()`, False at expiry."""
        for day in dl.reminders:
            if day in dl.reminders_sent or reminder_instant(day) <= workflow.now():
                continue
            if await wait_until(done, fixed(reminder_instant(day))):
                return True
            dl.reminders_sent.append(day)
            self.event("reminder_sent", None, kind=dl.kind, day=day.isoformat())
            self.spawn(remind(dl, day))
        return await wait_until(done, lambda: deadline_expiry(dl.due_date))

    def _missed(self, dl: DeadlineInfo) -> None:
        dl.missed = True
        self.event("deadline_missed", None, kind=dl.kind, due_date=dl.due_date.isoformat())

    async def _remind_employer(self, dl: DeadlineInfo, day: date) -> None:
        """Remind the employer the claimant named (registration came first)."""
        reg = self.s.registration
        assert reg is not None
        await self.notify(
            f"employer_report_reminder:{day.isoformat()}",
            "employer_report_reminder",
            email=reg.employer_email,
            phone=None,
            due_date=dl.due_date,
            employer_name=reg.employer_name or "用人单位",
            separation_date=reg.separation_date,
        )

    async def _remind_claimant(self, dl: DeadlineInfo, day: date) -> None:
        report = self.s.employer_report
        assert report is not None
        await self.notify(
            f"registration_reminder:{day.isoformat()}",
            "registration_reminder",
            **self.claimant_contact(),
            due_date=dl.due_date,
            notice_date=report.notice_date,
        )

    # ---- helpers ---------------------------------------------------------------------------

    async def notify(
        self, key: str, template: str, *, email: str | None, phone: str | None, **params: Any
    ) -> None:
        s = self.s
        report = s.employer_report
        params.setdefault("case_id", s.case_id)
        params.setdefault(
            "claimant_name",
            (s.registration.name if s.registration else None)
            or (report.claimant_name if report else ""),
        )
        try:
            status = await workflow.execute_activity_method(
                NotificationActivities.send_notification,
                NotifyInput(
                    key=f"{s.case_id}:{key}",
                    template=template,
                    at=workflow.now(),
                    case_id=s.case_id,
                    email=email,
                    phone=phone,
                    params={
                        k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()
                    },
                ),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=NOTIFY_RETRY,
            )
        except ActivityError as err:
            self.event("notification_failed", None, key=key, error=str(err.cause or err))
            return
        if status == "no_contact":
            self.event("notification_no_contact", None, key=key)

    def claimant_contact(self) -> dict[str, str | None]:
        reg, report = self.s.registration, self.s.employer_report
        return {
            "email": (reg.email if reg else None) or (report.claimant_email if report else None),
            "phone": (reg.phone if reg else None) or (report.claimant_phone if report else None),
        }

    async def open_task(
        self,
        kind: str,
        task_id: str,
        title: str,
        due_at: datetime | None = None,
        reminders: list[datetime] | None = None,
        provisional: bool = False,
        **details: Any,
    ) -> TaskState:
        """Open a task; due by its deadline, or after the policy's days for its kind."""
        s = self.s
        assert s.policy is not None
        if due_at is None:
            due_days = s.policy.task_due_days.get(kind)
            due_at = workflow.now() + timedelta(days=due_days) if due_days else None
        if due_at is not None and reminders is None:
            reminders = [due_at - timedelta(days=s.policy.task_reminder_days_before)]
        task = await self.tasks.open(
            kind,
            task_id=task_id,
            title=title,
            due_at=due_at,
            details=details,
            reminders=reminders,
            provisional=provisional,
        )
        self.event("task_opened", None, task_id=task_id, kind=kind)
        return task

    def _check_task_data(self, task: TaskState, inp: CompleteTaskInput) -> None:
        """Per-kind checks of an outcome's data that need the case's state."""
        if task.kind == "review_claim":
            self._check_review(inp)
        if (
            task.kind == "employer_report_overdue"
            and inp.outcome == "resolved"
            and self.s.employer_report is None
        ):
            if inp.data.get("reason_code") not in ALL_REASONS:
                raise OutcomeError(
                    "data.reason_code",
                    "without the employer's report, record the separation reason_code",
                )
            months = inp.data.get("contribution_months")
            if not isinstance(months, int) or isinstance(months, bool) or months < 0:
                raise OutcomeError(
                    "data.contribution_months",
                    "without the employer's report, record contribution_months (>= 0)",
                )
        if task.kind == "employer_report_overdue" and inp.outcome == "ordered":
            days = inp.data.get("days")
            if days is not None and (not isinstance(days, int) or not 1 <= days <= 90):
                raise OutcomeError("data.days", "the ordered time limit is 1 to 90 days")

    def _check_review(self, inp: CompleteTaskInput) -> None:
        s = self.s
        check_review_outcome(inp.outcome, inp.reason, inp.data)
        if inp.outcome != "approve" or s.proposal is None or s.policy is None:
            return
        corrected = inp.data.get("contribution_months")
        if corrected is None and s.proposal.months == 0:
            raise OutcomeError(
                "data.contribution_months",
                "no entitlement at the reported contribution time: correct it or reject",
            )
        if corrected is not None and corrected < s.policy.min_contribution_months:
            raise OutcomeError(
                "data.contribution_months",
                f"below the {s.policy.min_contribution_months} months that give an entitlement",
            )
        if s.proposal.eligible is False and not (inp.reason or "").strip():
            raise OutcomeError("reason", "approving against the pre-check needs a reason")

    def _employer_facts(self) -> dict[str, Any]:
        s = self.s
        if s.employer_report is not None:
            r = s.employer_report
            return {
                "reason_code": r.reason_code,
                "contribution_months": r.contribution_months,
                "carried_months": r.carried_months,
            }
        return dict(s.employer_facts_by_supervisor or {})

    def _separation_date(self) -> date:
        s = self.s
        if s.employer_report is not None:
            return s.employer_report.separation_date
        assert s.registration is not None
        return s.registration.separation_date

    def today(self) -> date:
        return workflow.now().astimezone(AGENCY_TZ).date()

    def _set_status(self, status: str, closure_reason: str | None = None) -> None:
        s = self.s
        if s.status == status and s.closure_reason == closure_reason:
            return
        s.status, s.closure_reason = status, closure_reason
        self.event("status_changed", None, status=status, closure_reason=closure_reason)

    def event(self, type_: str, actor: str | None, **data: Any) -> None:
        s = self.s
        s.event_seq += 1
        s.unsynced_events.append(
            CaseEventRecord(seq=s.event_seq, at=workflow.now(), type=type_, actor=actor, data=data)
        )

    def spawn(self, coro: Awaitable[None]) -> None:
        self._background.append(asyncio.ensure_future(coro))

    async def _sync_loop(self) -> None:
        """Keep the read model current: push the state whenever new events are pending."""
        s = self.s
        while True:
            await workflow.wait_condition(lambda: bool(s.unsynced_events))
            last = s.unsynced_events[-1].seq
            self._syncing = True
            try:
                if workflow.patched(SYNC_LOCAL_PATCH):
                    # a local activity: run by this worker inside the workflow task, so no
                    # activity task, no extra workflow task and no copy of the whole state in
                    # the history; sync_case is idempotent (rows keyed by case and event seq)
                    await workflow.execute_local_activity_method(
                        CaseActivities.sync_case,
                        SyncCaseInput(state=s, at=workflow.now()),
                        start_to_close_timeout=SHORT,
                    )
                else:
                    await workflow.execute_activity_method(
                        CaseActivities.sync_case,
                        SyncCaseInput(state=s, at=workflow.now()),
                        start_to_close_timeout=SHORT,
                    )
            finally:
                self._syncing = False
            s.unsynced_events = [e for e in s.unsynced_events if e.seq > last]
