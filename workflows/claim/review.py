"""Review, DOMAIN.md stage 3 (seed 002 art. 9): once both parts are in, the system's pre-check
and proposed entitlement (社会保险法 arts. 45-46, by an activity), then a reviewer's decision
within 15 days of acceptance; overdue, the task escalates to the supervisors. Approval fixes
the entitlement; rejection carries reasons and the right of appeal. Both are kept as evidence
and told to the claimant.

Reads: the facts intake gathered (EmployerFacts, the registration). Keeps: ReviewState.
Serves: the checks of a `review_claim` completion. Answers: the entitlement, or None."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import JsonValue

    from activities.rules import RuleActivities
    from domain.deadlines import deadline_expiry, reminder_instant
    from domain.review import APPEAL_NOTICE_ZH, REJECTION_REASONS, default_rejection_reasons
    from domain.task_data import ReviewClaimData, TaskData
    from domain.tasks import OutcomeError
    from payloads.case_state import Decision, EmployerFacts, Entitlement, Proposal, ReviewState
    from payloads.rules import AssessInput
    from payloads.submissions import Registration
    from payloads.tasks import CompleteTaskInput, TaskCompletion, TaskState
    from workflows.claim.deadlines import Deadlines
    from workflows.claim.services import CaseServices
    from workflows.human_tasks import data_of

VERDICT = {True: "eligible", False: "ineligible", None: "undetermined"}


class Review:
    def __init__(self, case: CaseServices, deadlines: Deadlines) -> None:
        self.case = case
        self.deadlines = deadlines

    async def start(
        self, facts: EmployerFacts, registration: Registration, registered_on: date
    ) -> ReviewState:
        """Both parts are in: the pre-check and the proposed entitlement, the review deadline."""
        self.case.enter("review")
        proposal = await self._assess(
            facts, registration.seeking_work, registration.national_id, registered_on
        )
        await self.deadlines.plan("review", self.case.today())
        self.case.set_status("in_review")
        self.case.event(
            "precheck_recorded",
            None,
            eligible=proposal.eligible,
            months=proposal.months,
            monthly_amount=str(proposal.monthly_amount),
            policy_version=proposal.policy_version,
        )
        return ReviewState(
            proposal=proposal,
            facts=facts,
            seeking_work=registration.seeking_work,
            national_id=registration.national_id,
        )

    async def _assess(
        self, facts: EmployerFacts, seeking_work: bool, national_id: str, on: date
    ) -> Proposal:
        return await self.case.activity(
            RuleActivities.assess_claim,
            AssessInput(
                region_code=self.case.region_code,
                on=on,
                contribution_months=facts.contribution_months,
                reason_code=facts.reason_code,
                registered=True,
                seeking_work=seeking_work,
                national_id=national_id,
            ),
        )

    async def decide(self, st: ReviewState) -> Entitlement | None:
        """The reviewer's task, within the review deadline. The entitlement when approved."""
        p = st.proposal
        await self.case.determine(
            "precheck",
            VERDICT[p.eligible],
            "system",
            p.policy_version,
            inputs={**st.facts.as_inputs(), "seeking_work": st.seeking_work},
            result={
                "checks": [asdict(c) for c in p.checks],
                "months": p.months,
                "monthly_amount": str(p.monthly_amount),
                # 社会保险法 art. 46: unused months of earlier cases added (claimant history)
                "carried_months": p.carried_months,
                "carried_from": list(p.carried_from),
            },
        )
        dl = self.deadlines["review"]
        task = await self.case.open_task(
            "review_claim",
            f"review_claim-{self.case.case_id}",
            "失业保险金申领审核 / Review claim",
            due_at=deadline_expiry(dl.due_date),
            reminders=[reminder_instant(d) for d in dl.reminders],
            provisional=dl.provisional,
            review_due=dl.due_date.isoformat(),
            eligible=p.eligible,
            months=p.months,
            monthly_amount=str(p.monthly_amount),
        )
        done = await self.case.tasks.decided(task.task_id)
        today = self.case.today()
        if today <= dl.due_date:
            dl.met_on = today
        else:
            dl.missed = True
        if done.outcome == "approve":
            return await self._approve(st, done)
        await self._reject(st, done)
        return None

    async def _approve(self, st: ReviewState, done: TaskCompletion) -> Entitlement:
        data = data_of(done, ReviewClaimData)
        reported = st.facts.contribution_months
        corrected = data.contribution_months
        proposal = st.proposal
        if corrected is not None and corrected != reported:
            facts = EmployerFacts(
                reason_code=st.facts.reason_code,
                contribution_months=corrected,
            )
            proposal = await self._assess(
                facts, st.seeking_work, st.national_id, proposal.start_date
            )
        assert proposal.end_date is not None, "the validator refuses approving no entitlement"
        ent = Entitlement(
            months=proposal.months,
            monthly_amount=proposal.monthly_amount,
            start_date=proposal.start_date,
            end_date=proposal.end_date,
            contribution_months=corrected if corrected is not None else reported,
            policy_version=proposal.policy_version,
            carried_months=proposal.carried_months,
            carried_from=list(proposal.carried_from),
        )
        summary: dict[str, JsonValue] = {
            "months": ent.months,
            "monthly_amount": str(ent.monthly_amount),
            "start_date": ent.start_date.isoformat(),
            "end_date": ent.end_date.isoformat(),
        }
        key = await self.case.determine(
            "review",
            "approve",
            done.actor,
            proposal.policy_version,
            inputs={**st.facts.as_inputs(), "corrected_contribution_months": corrected},
            result=summary,
            reason_text=done.reason,
        )
        st.decision = self._decision(
            done, proposal.policy_version, key, [], ent, corrected, reported
        )
        st.status = "approved"
        self.case.enter("benefits")
        self.case.set_status("active")
        self.case.spawn(
            self.case.notify_claimant(
                "review_approved",
                "review_approved",
                months=ent.months,
                monthly_amount=str(ent.monthly_amount),
                start_date=ent.start_date,
                end_date=ent.end_date,
            )
        )
        return ent

    async def _reject(self, st: ReviewState, done: TaskCompletion) -> None:
        reasons = self._reasons(st, done)
        key = await self.case.determine(
            "review",
            "reject",
            done.actor,
            st.proposal.policy_version,
            inputs=st.facts.as_inputs(),
            reasons=reasons,
            reason_text=done.reason,
        )
        st.decision = self._decision(done, st.proposal.policy_version, key, reasons, None)
        st.status = "rejected"
        self.case.enter("closed")
        self.case.set_status("rejected", "review_rejected")
        self.case.spawn(
            self.case.notify_claimant(
                "review_rejected",
                "review_rejected",
                reasons=[REJECTION_REASONS[r][0] for r in reasons],
                reason_text=done.reason or "",
                appeal=APPEAL_NOTICE_ZH,
            )
        )

    @staticmethod
    def _reasons(st: ReviewState, done: TaskCompletion) -> list[str]:
        """The reviewer's reasons, or (none given) the failed pre-checks' (domain/review.py)."""
        given = data_of(done, ReviewClaimData).reasons
        failed = [c.code for c in st.proposal.checks if c.passed is False]
        return list(given) if given else default_rejection_reasons(failed)

    @staticmethod
    def _decision(
        done: TaskCompletion,
        policy_version: str,
        key: str,
        reasons: list[str],
        entitlement: Entitlement | None,
        corrected: int | None = None,
        reported: int | None = None,
    ) -> Decision:
        return Decision(
            outcome="approve" if done.outcome == "approve" else "reject",
            decided_by=done.actor,
            decided_at=done.completed_at,
            reasons=reasons,
            reason_text=done.reason,
            contribution_months=corrected if corrected is not None else reported,
            corrected_from=reported if corrected is not None and corrected != reported else None,
            entitlement=entitlement,
            policy_version=policy_version,
            determination_key=key,
        )

    # ---- the review_claim completion ---------------------------------------------------------

    def check_task_data(
        self, st: ReviewState | None, task: TaskState, data: TaskData, inp: CompleteTaskInput
    ) -> None:
        """An approval must give an entitlement; against the pre-check it needs a reason."""
        if not isinstance(data, ReviewClaimData) or inp.outcome != "approve" or st is None:
            return
        corrected = data.contribution_months
        if corrected is None and st.proposal.months == 0:
            raise OutcomeError(
                "data.contribution_months",
                "no entitlement at the reported contribution time: correct it or reject",
            )
        minimum = self.case.policy.min_contribution_months
        if corrected is not None and corrected < minimum:
            raise OutcomeError(
                "data.contribution_months",
                f"below the {minimum} months that give an entitlement",
            )
        if st.proposal.eligible is False and not (inp.reason or "").strip():
            raise OutcomeError("reason", "approving against the pre-check needs a reason")
