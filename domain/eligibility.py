"""Pre-check of the three conditions of 社会保险法 art. 45 (DOMAIN.md stage 3), and of the
claimant's being below the statutory retirement age (DOMAIN.md "Identifiers").

The system proposes; a reviewer decides. A condition whose facts are not in yet
(no employer report, no registration answer) is ``None``, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.retirement import GROUP_LABELS, Retirement

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


RETIREMENT_SOURCE = (
    "社会保险法 art. 51(3) (a basic pension instead); seed 000 arts. 3, 39; "
    "全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (2024), 国务院办法 art. 2 and its table"
)


def below_retirement_age(retirement: Retirement, on: date) -> Check:
    """Passed while ``on`` is before the day the statutory retirement age is reached
    (policy/national.toml); failed on or after it: the pension system takes over. For a
    woman the detail also gives the date under the other original age, which the identity
    number cannot rule out, so a reviewer can decide otherwise with a reason."""
    label = GROUP_LABELS.get(retirement.group, retirement.group)
    passed = on < retirement.on
    verb = "reaches" if passed else "reached"
    detail = (
        f"{verb} the statutory retirement age of {label}, {retirement.age_text}, "
        f"on {retirement.on.isoformat()}"
    )
    other = retirement.other
    if other is not None:
        other_label = GROUP_LABELS.get(other.group, other.group)
        detail += (
            f" (assumed by the region's policy; as {other_label}: "
            f"{other.age_text}, on {other.on.isoformat()})"
        )
    if not passed:
        detail += f"; on {on.isoformat()} a basic pension is due instead"
    return Check("below_retirement_age", passed, detail, RETIREMENT_SOURCE)


def precheck(
    *,
    contribution_months: int | None,
    reason_code: str | None,
    registered: bool,
    seeking_work: bool | None,
    min_contribution_months: int,
    retirement: Retirement | None = None,
    on: date | None = None,
) -> Precheck:
    """Check art. 45 (a) contributions >= minimum, (b) non-voluntary separation,
    (c) registered and seeking work, and, given the claimant's ``retirement`` and the day
    benefits would start (``on``), (d) below the statutory retirement age. Eligible only if
    all pass; not eligible if any fails; otherwise undecided (None). An unknown reason code
    is a ValueError (the API only accepts ``ALL_REASONS``)."""
    if min_contribution_months < 0:
        raise ValueError("min_contribution_months must not be negative")
    if (retirement is None) != (on is None):
        raise ValueError("retirement and on go together")
    checks: tuple[Check, ...] = (
        _contributions(contribution_months, min_contribution_months),
        _non_voluntary(reason_code),
        _registered(registered, seeking_work),
    )
    if retirement is not None and on is not None:
        checks += (below_retirement_age(retirement, on),)
    if any(c.passed is False for c in checks):
        eligible: bool | None = False
    elif all(c.passed for c in checks):
        eligible = True
    else:
        eligible = None
    return Precheck(eligible, checks)
