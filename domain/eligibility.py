"""Pre-check of the three conditions of 社会保险法 art. 45 (DOMAIN.md stage 3).

The system proposes; a reviewer decides. A condition whose facts are not in yet
(no employer report, no registration answer) is ``None``, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

NON_VOLUNTARY_REASONS: frozenset[str] = frozenset(
    {
        "contract_expired",  # 合同期满终止
        "employer_terminated",  # 用人单位解除
        "layoff",  # 经济性裁员
        "bankruptcy",  # 破产
        "dissolved",  # 撤销/解散/吊销/关闭
        "dismissed",  # 辞退/除名/开除
        "employer_fault_resignation",  # 因用人单位过错辞职
    }
)
ALL_REASONS: frozenset[str] = NON_VOLUNTARY_REASONS | {"voluntary_resignation"}


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool | None
    detail: str
    source: str


@dataclass(frozen=True)
class Precheck:
    eligible: bool | None
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[str, ...]:
        """Codes of the checks that failed."""
        return tuple(c.code for c in self.checks if c.passed is False)


def _contributions(months: int | None, minimum: int) -> Check:
    source = "社会保险法 art. 45(1); 失业保险条例 art. 14(1)"
    if months is None:
        return Check("contributions", None, "contribution time not reported yet", source)
    if months < 0:
        raise ValueError(f"contribution_months must not be negative, got {months}")
    ok = months >= minimum
    relation = "at least" if ok else "below"
    detail = f"{months} months of contributions, {relation} the {minimum} required"
    return Check("contributions", ok, detail, source)


def _non_voluntary(reason_code: str | None) -> Check:
    source = "社会保险法 art. 45(2); seed 000 art. 3; 失业保险金申领发放办法"
    if reason_code is None:
        return Check("non_voluntary", None, "separation reason not known yet", source)
    if reason_code not in ALL_REASONS:
        raise ValueError(f"unknown reason_code {reason_code!r}")
    if reason_code in NON_VOLUNTARY_REASONS:
        return Check("non_voluntary", True, f"{reason_code} is non-voluntary", source)
    return Check("non_voluntary", False, "left of own will (本人意愿)", source)


def _registered(registered: bool, seeking_work: bool | None) -> Check:
    source = "社会保险法 art. 45(3); 失业保险条例 art. 14(3)"
    code = "registered_seeking_work"
    if not registered:
        return Check(code, False, "not registered as unemployed", source)
    if seeking_work is None:
        return Check(code, None, "registered; job-seeking not stated yet", source)
    if not seeking_work:
        return Check(code, False, "registered but not seeking work", source)
    return Check(code, True, "registered and seeking work", source)


def precheck(
    *,
    contribution_months: int | None,
    reason_code: str | None,
    registered: bool,
    seeking_work: bool | None,
    min_contribution_months: int,
) -> Precheck:
    """Check art. 45 (a) contributions >= minimum, (b) non-voluntary separation,
    (c) registered and seeking work. Eligible only if all three pass; not
    eligible if any fails; otherwise undecided (None). An unknown reason code
    is a ValueError (the API only accepts ``ALL_REASONS``)."""
    if min_contribution_months < 0:
        raise ValueError("min_contribution_months must not be negative")
    checks = (
        _contributions(contribution_months, min_contribution_months),
        _non_voluntary(reason_code),
        _registered(registered, seeking_work),
    )
    if any(c.passed is False for c in checks):
        eligible: bool | None = False
    elif all(c.passed for c in checks):
        eligible = True
    else:
        eligible = None
    return Precheck(eligible, checks)
