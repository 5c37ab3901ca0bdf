"""The reviewer's decision (DOMAIN.md stage 3): rejection reasons, correction rules.

A rejection carries reasons from this list plus free text, and tells the claimant of their
right to administrative review (行政复议) or an administrative suit (行政诉讼). The reasons are
optional in the REST contract: given none, they are the pre-checks that failed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.tasks import OutcomeError

# code -> (Chinese, English); sources: 社会保险法 arts. 45, 51, 条例 art. 14-15.
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    "insufficient_contributions": (
        "失业前缴纳失业保险费不满一年",
        "less than one year of contributions",
    ),
    "voluntary_separation": ("本人意愿中断就业", "the claimant left of their own will"),
    "not_registered": ("未办理失业登记", "not registered as unemployed"),
    "not_seeking_work": ("无求职要求", "not seeking work"),
    "already_employed": ("已重新就业", "already re-employed"),
    "receiving_pension": ("已享受基本养老保险待遇", "already receiving a basic pension"),
    "retirement_age_reached": (
        "已达到法定退休年龄",
        "the claimant has reached the statutory retirement age",
    ),
    "false_statement": ("提供虚假材料", "false statements or documents"),
    "other": ("其他原因（见说明）", "other (see explanation)"),
}

# the pre-check (domain/eligibility.py) whose failure is each reason; 社会保险法 arts. 45, 51
PRECHECK_REASONS: dict[str, str] = {
    "contributions": "insufficient_contributions",
    "non_voluntary": "voluntary_separation",
    "registered_seeking_work": "not_seeking_work",
    "below_retirement_age": "retirement_age_reached",
}
assert set(PRECHECK_REASONS.values()) <= set(REJECTION_REASONS)


def default_rejection_reasons(failed_checks: Iterable[str]) -> list[str]:
    """The reasons of a rejection that names none: the failed pre-checks', else `other`."""
    reasons = [PRECHECK_REASONS[c] for c in failed_checks if c in PRECHECK_REASONS]
    return list(dict.fromkeys(reasons)) or ["other"]


APPEAL_NOTICE_ZH = (
    "如对本决定不服，可自收到本通知书之日起六十日内依法申请行政复议，"
    "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
)
APPEAL_NOTICE_EN = (
    "If you disagree, you may apply for administrative review within 60 days of receiving "
    "this notice, or bring an administrative suit before a people's court within six months."
)


def check_review_outcome(outcome: str, reason: str | None, data: Mapping[str, Any]) -> None:
    """Raise OutcomeError unless a review decision carries what it must."""
    if outcome == "reject" and data.get("reasons") is not None:  # none: the failed pre-checks
        reasons = data["reasons"]
        if not isinstance(reasons, list):
            raise OutcomeError("data.reasons", "a list of rejection reason codes")
        unknown = [r for r in reasons if r not in REJECTION_REASONS]
        if unknown:
            raise OutcomeError("data.reasons", f"unknown rejection reasons: {unknown}")
    if outcome == "approve" and "contribution_months" in data:
        months = data["contribution_months"]
        if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 720:
            raise OutcomeError("data.contribution_months", "contribution months are 0 to 720")
        if not (reason or "").strip():
            raise OutcomeError("reason", "a correction of contribution months needs a reason")
