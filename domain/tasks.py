"""Human-task kinds: who works them, which outcomes each allows, what an outcome must carry.

The REST contract (ARCHITECTURE.md, "task outcomes") fixes the kinds and outcomes; the
groups follow DOMAIN.md "Actors"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLES: frozenset[str] = frozenset({"clerk", "reviewer", "supervisor", "finance", "admin"})


@dataclass(frozen=True)
class TaskKind:
    name: str
    group: str
    priority: int
    outcomes: frozenset[str]
    reason_required: frozenset[str] = frozenset()
    also: frozenset[str] = frozenset()  # other roles that may decide it


def _kind(
    name: str, group: str, priority: int, outcomes: str, reason_for: str = "", also: str = ""
) -> TaskKind:
    return TaskKind(
        name,
        group,
        priority,
        frozenset(outcomes.split()),
        frozenset(reason_for.split()),
        frozenset(also.split()),
    )


TASK_KINDS: dict[str, TaskKind] = {
    k.name: k
    for k in (
        _kind("review_claim", "reviewer", 60, "approve reject", "reject"),
        _kind("employer_report_overdue", "supervisor", 50, "ordered resolved"),
        _kind("late_registration", "supervisor", 55, "accept refuse", "accept refuse"),
        _kind("missed_check_in", "clerk", 50, "excused not_excused"),
        # the employer's report and the registration give different separation dates: a
        # clerk settles which is right (issue 9 §4, domain/open_cases.py)
        _kind("separation_date_mismatch", "clerk", 60, "resolved"),
        _kind("payment_run_release", "finance", 70, "release hold"),
        # the second pair of eyes: another finance user or a supervisor (issue: payments)
        _kind("payment_run_approval", "finance", 70, "approve hold", also="supervisor"),
        _kind("payment_returned", "finance", 65, "reissue cancel", "cancel"),
        _kind("reconciliation_mismatch", "finance", 65, "resolved"),
        _kind("transfer_in", "clerk", 50, "accept"),
        _kind("escalation", "supervisor", 80, "resolved"),
        _kind("bank_unavailable", "finance", 90, "acknowledged"),
        # a permanent failure of a case's activity (policy data, a database constraint):
        # the supervisors fix its cause (or have it fixed) and retry
        _kind("system_error", "supervisor", 90, "retry", also="admin"),
        # the bank refused a run's message: resubmit once fixed, or hold the run
        _kind("bank_rejected", "finance", 90, "resubmit hold", "hold"),
        # medical insurance (seed 000 范文1): the agency refuses declarations past the policy
        # limit; it rejected a person's lines (re-declare once corrected, or withdraw); a
        # duplicate premium's refund is checked twice (初审, then 复审 by someone else)
        _kind("medical_agency_down", "finance", 85, "acknowledged"),
        _kind("medical_line_rejected", "clerk", 60, "redeclare withdraw", "withdraw"),
        _kind("medical_refund_review", "finance", 55, "approve reject", "reject"),
        _kind("medical_refund_approval", "finance", 55, "approve reject", "reject", "supervisor"),
        # stop events (issue 11): a reviewer confirms each refused offer (seed 000 art. 26(4)),
        # approves the death grants (art. 23) and the self-employment lump sum (art. 35)
        _kind("refused_offer_review", "reviewer", 55, "confirm reject", "reject"),
        _kind("death_grants_review", "reviewer", 60, "approve reject", "reject"),
        _kind("lump_sum_review", "reviewer", 55, "approve reject", "reject"),
        # an overpayment's offset against the claimant's later case (issue 11 §4): only with
        # a supervisor's approval, never the one who asked for it
        _kind("recovery_offset_review", "supervisor", 60, "approve refuse", "refuse"),
    )
}


class OutcomeError(ValueError):
    """The outcome does not fit the task kind, or lacks what it must carry."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_outcome(kind: str, outcome: str, reason: str | None, data: Mapping[str, Any]) -> None:
    """Raise OutcomeError unless `outcome` is allowed for `kind` with what it carries."""
    spec = TASK_KINDS.get(kind)
    if spec is None:
        raise OutcomeError("kind", f"unknown task kind {kind!r}")
    if outcome not in spec.outcomes:
        allowed = ", ".join(sorted(spec.outcomes))
        raise OutcomeError("outcome", f"{kind} allows outcomes: {allowed}; got {outcome!r}")
    if outcome in spec.reason_required and not (reason or "").strip():
        raise OutcomeError("reason", f"a reason is required to {outcome} a {kind} task")


def may_complete(
    roles: frozenset[str] | set[str],
    group: str,
    escalated: bool,
    original_group: str | None = None,
    kind: str | None = None,
) -> bool:
    """The task's group works it; supervisors also decide escalated tasks, a task escalated
    away from its group may still be worked by that group (when assigned), and some kinds
    admit other roles too."""
    spec = TASK_KINDS.get(kind) if kind else None
    return (
        group in roles
        or (escalated and "supervisor" in roles)
        or (original_group is not None and original_group in roles)
        or (spec is not None and bool(spec.also & set(roles)))
    )


ESCALATION_PRIORITY_RAISE = 20


def escalated_priority(priority: int) -> int:
    """Escalation raises a task's priority (0-100) so it rises in the supervisors' queue."""
    return min(100, priority + ESCALATION_PRIORITY_RAISE)
