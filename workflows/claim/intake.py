"""Intake, DOMAIN.md stages 1-2: the employer's termination report (15 days from separation)
and the claimant's registration (30 days from the notice), in either order, with reminders,
the supervisor task for an overdue employer, lapse, and a supervisor's decision on a late
registration.

Reads: its own state (IntakeState), the case's deadlines. Serves: the two submission signals,
the checks of an `employer_report_overdue` completion. Answers: whether the case goes on to
review, and then the facts the review judges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import deadline_expiry
    from domain.task_data import EmployerReportOverdueData, TaskData
    from payloads.case_state import EmployerFacts, IntakeState
    from payloads.submissions import EmployerReport, Registration, Submission
    from payloads.tasks import CompleteTaskInput, TaskState
    from workflows.claim.deadlines import Deadlines
    from workflows.claim.reminders import remind_claimant, remind_employer
    from workflows.claim.separation import (
        check_choice,
        late_report_refused,
        settle_separation,
        unsettled,
    )
    from workflows.claim.services import CaseServices
    from workflows.human_tasks import data_of
    from workflows.waiting import fixed, wait_until

DEFAULT_ORDER_DAYS = 15  # 责令限期办理 when the policy names no time limit


class Intake:
    def __init__(self, case: CaseServices, state: IntakeState, deadlines: Deadlines) -> None:
        self.case = case
        self.s = state
        self.deadlines = deadlines

    # ---- the two submissions (signals) -------------------------------------------------------

    def receive_report(self, report: EmployerReport) -> None:
        s = self.s
        if s.employer_report is not None:
            if report != s.employer_report:
                self.case.event("employer_report_resubmitted", report.submitted_by, changed=True)
            return
        if self.case.stage != "intake" and late_report_refused(
            self.case, report, self.separation_date()
        ):
            return
        s.employer_report = report
        s.employer_report_received = self.case.today()
        self.case.place(report.region_code)
        self.case.event(
            "employer_report_received",
            report.submitted_by,
            employer=report.employer_name,
            reason_code=report.reason_code,
            contribution_months=report.contribution_months,
            separation_date=report.separation_date.isoformat(),
            notice_date=report.notice_date.isoformat(),
        )

    def receive_registration(self, registration: Registration) -> None:
        s = self.s
        if s.registration is not None:
            if registration != s.registration:
                self.case.event("registration_resubmitted", registration.submitted_by, changed=True)
            return
        s.registration = registration
        s.registration_date = self.case.today()
        if self.case.place(registration.region_code) != registration.region_code:
            self.case.event("region_mismatch", None, registration_region=registration.region_code)
        self.case.event(
            "registration_received",
            registration.submitted_by,
            seeking_work=registration.seeking_work,
            bank_account_given=registration.bank_account is not None,
        )

    # ---- what intake knows ----------------------------------------------------------------------

    def received(self, submission: Submission) -> bool:
        """Whether the report or the registration is in (the written_through barrier)."""
        if submission == "employer_report":
            return self.s.employer_report is not None
        return self.s.registration is not None

    def arrived(self) -> bool:
        return self.s.employer_report is not None or self.s.registration is not None

    def separation_date(self) -> date:
        """The date a clerk settled, else the employer's, else the claimant's."""
        report, reg = self.s.employer_report, self.s.registration
        if self.s.separation_date is not None:
            return self.s.separation_date
        if report is not None:
            return report.separation_date
        assert reg is not None, "a case opens with a submission"
        return reg.separation_date

    def facts(self) -> EmployerFacts:
        """The separation as the review judges it (after intake: the report, or a supervisor's
        record of it)."""
        report = self.s.employer_report
        if report is not None:
            return EmployerFacts(
                reason_code=report.reason_code,
                contribution_months=report.contribution_months,
            )
        assert self.s.facts_by_supervisor is not None, "intake ends with one or the other"
        return self.s.facts_by_supervisor

    def registration(self) -> tuple[Registration, date]:
        """The registration and the day it came (after intake)."""
        reg, on = self.s.registration, self.s.registration_date
        assert reg is not None and on is not None, "intake ends registered"
        return reg, on

    # ---- the stage -----------------------------------------------------------------------------

    async def run(self) -> bool:
        """True when the case goes on to review, False when it closed lapsed."""
        s = self.s
        await self.deadlines.plan("employer_report", self.separation_date())
        while True:
            if unsettled(s):  # report and registration differ: a clerk settles
                await settle_separation(self.case, s, self.deadlines)
                continue
            if s.employer_report is not None:
                self._note_employer_timeliness()
            if s.employer_report is None and s.facts_by_supervisor is None:
                self.case.set_status("awaiting_employer_report")
                await self._await_employer_report()
                continue
            if s.registration is None:
                self.case.set_status("awaiting_registration")
                if not await self._await_registration() and not await self._after_lapse():
                    return False
                continue  # registered (in time, or late and accepted): its date is checked
            if not s.late_registration_accepted and await self._registered_late():
                return await self._decide_late_registration()
            return True

    async def _await_employer_report(self) -> None:
        """DOMAIN.md stage 1: 15 days from separation; remind, then a supervisor task."""
        s = self.s
        dl = await self.deadlines.plan("employer_report", self.separation_date())
        arrived: Callable[[], bool] = lambda: s.employer_report is not None  # noqa: E731
        if await self.deadlines.remind_until(
            dl, arrived, partial(remind_employer, self.case, self.s)
        ):
            return
        self.deadlines.missed(dl)
        n = 0
        while not arrived():
            n += 1
            task = await self.case.open_task(
                "employer_report_overdue",
                f"employer_report_overdue-{self.case.case_id}-{n}",
                "用人单位逾期未办理退工手续 / Employer report overdue",
                employer_report_due=dl.due_date.isoformat(),
            )
            done = await self.case.tasks.wait(task.task_id, also=arrived)
            if done is None:
                await self.case.tasks.close_by_system(
                    task.task_id, "resolved", "the employer report arrived"
                )
                return
            data = data_of(done, EmployerReportOverdueData)
            if done.outcome == "resolved":
                if not arrived():  # the validator asked for the facts: no report then either
                    assert data.reason_code is not None and data.contribution_months is not None
                    s.facts_by_supervisor = EmployerFacts(
                        reason_code=data.reason_code,
                        contribution_months=data.contribution_months,
                        recorded_by=done.actor,
                        reason=done.reason,
                    )
                    self.case.event(
                        "employer_facts_recorded",
                        done.actor,
                        reason_code=data.reason_code,
                        contribution_months=data.contribution_months,
                    )
                return
            # ordered (责令限期办理, seed 000 art. 41): wait out the time limit, then ask again.
            policy_days = self.case.policy.task_due_days.get("employer_order", DEFAULT_ORDER_DAYS)
            days = data.days or policy_days
            self.case.event("employer_ordered", done.actor, days=days, reason=done.reason)
            await wait_until(arrived, fixed(workflow.now() + timedelta(days=days)))

    def _note_employer_timeliness(self) -> None:
        """Record whether the report came within its 15 days (late employers: seed 000 art. 41)."""
        dl = self.deadlines["employer_report"]
        received = self.s.employer_report_received
        if dl.met_on is not None or dl.missed or received is None:
            return
        if received <= dl.due_date:
            dl.met_on = received
            self.case.event("deadline_met", None, kind=dl.kind, on=received.isoformat())
        else:
            self.deadlines.missed(dl)

    async def _await_registration(self) -> bool:
        """DOMAIN.md stage 2: 30 days from the notice; remind; True when registered."""
        s = self.s
        assert s.employer_report is not None
        dl = await self.deadlines.plan("registration", s.employer_report.notice_date)
        registered: Callable[[], bool] = lambda: s.registration is not None  # noqa: E731
        if await self.deadlines.remind_until(
            dl, registered, partial(remind_claimant, self.case, self.s)
        ):
            dl.met_on = s.registration_date
            return True
        self.deadlines.missed(dl)
        self.case.set_status("lapsed", "registration_deadline_missed")
        self.case.spawn(
            self.case.notify_claimant("case_lapsed", "case_lapsed", due_date=dl.due_date)
        )
        return False

    async def _after_lapse(self) -> bool:
        """A lapsed case still takes a late registration for a window, for a supervisor."""
        due = self.deadlines["registration"].due_date
        window = timedelta(days=self.case.policy.late_registration_window_days)
        window_end = deadline_expiry(due) + window
        if not await wait_until(lambda: self.s.registration is not None, fixed(window_end)):
            self.case.event("late_registration_window_closed", None)
            return False
        return await self._decide_late_registration()

    async def _registered_late(self) -> bool:
        """Registration came first: once the notice date is known, was it within 30 days?"""
        s = self.s
        dl = self.deadlines.get("registration")
        if dl is None:
            notice = s.employer_report.notice_date if s.employer_report else None
            notice = notice or (s.registration.notice_date if s.registration else None)
            if notice is None:
                return False
            dl = await self.deadlines.plan("registration", notice)
        assert s.registration_date is not None
        if s.registration_date > dl.due_date:
            self.deadlines.missed(dl)
            return True
        dl.met_on = s.registration_date
        return False

    async def _decide_late_registration(self) -> bool:
        s = self.s
        self.case.set_status("lapsed", "registration_deadline_missed")
        task = await self.case.open_task(
            "late_registration",
            f"late_registration-{self.case.case_id}",
            "逾期失业登记审核 / Late registration",
            registration_due=self.deadlines["registration"].due_date.isoformat(),
            registered_on=s.registration_date.isoformat() if s.registration_date else None,
        )
        done = await self.case.tasks.decided(task.task_id)
        if done.outcome == "accept":
            s.late_registration_accepted = True
            self.case.reopen()
            self.case.event("late_registration_accepted", done.actor, reason=done.reason)
            return True
        self.case.event("late_registration_refused", done.actor, reason=done.reason)
        return False

    # ---- the employer_report_overdue completion ------------------------------------------------

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        """Resolved without the employer's report: the supervisor records its facts. A
        settled separation date is one of the two given."""
        check_choice(self.s, data)
        if (
            isinstance(data, EmployerReportOverdueData)
            and inp.outcome == "resolved"
            and self.s.employer_report is None
        ):
            data.require_facts()
