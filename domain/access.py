"""Who may see and do what (issue 13 §3, §4): pure rules, no I/O.

Roles (domain/tasks.ROLES): clerks, reviewers, supervisors and finance work cases; `admin`
manages users, regions, calendars and policy files and nothing else: no case data, no money
(the 人力资源社会保障 practice of separating system administration from 经办 work). A staff
user works the cases of their regions: `users.regions` is a comma-separated list of region
codes, or "*" for every region (explicit; an empty list sees none).

Money (issue 13 §4): the person who filed a case (recorded its intake) does not decide its
review; a re-issued payment goes to an account in the claimant's own name (不得代领: benefits
are paid to the claimant's own account), and a run holding a changed payee needs a second
person's approval whatever its total."""

from __future__ import annotations

import unicodedata

CASE_ROLES: frozenset[str] = frozenset({"clerk", "reviewer", "supervisor", "finance"})
ADMIN_ROLE = "admin"
ALL_REGIONS = "*"


def works_cases(roles: frozenset[str] | set[str]) -> bool:
    """Case data (cases, tasks, notices, payments) is for the case-working roles only."""
    return bool(set(roles) & CASE_ROLES)


def regions_of(value: str | None) -> frozenset[str] | None:
    """The region codes of a user's `regions` value; None means every region."""
    text = (value or "").strip()
    if text == ALL_REGIONS:
        return None
    return frozenset(code.strip() for code in text.split(",") if code.strip())


def sees_region(value: str | None, region_code: str) -> bool:
    regions = regions_of(value)
    return regions is None or region_code in regions


def describe_regions(value: str | None) -> str:
    regions = regions_of(value)
    if regions is None:
        return "all regions"
    return ", ".join(sorted(regions)) or "no region"


def may_use_codec(roles: frozenset[str] | set[str], regions: str | None) -> bool:
    """The Temporal UI's codec (decode and encode) shows every region's workflows in clear:
    for supervisors of every region only (no admin, no region-scoped or group-scoped role)."""
    return "supervisor" in roles and regions_of(regions) is None


def may_decide_review(filers: set[str], actor: str) -> bool:
    """Separation of duties: whoever recorded a case's intake does not decide its review."""
    return actor not in filers


def _name_key(name: str) -> str:
    """A name compared as a bank compares it: NFKC (full-width letters, ideographic spaces),
    no white space, case-folded (names in Latin letters)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "·.-")


def payee_name_matches(account_name: str | None, claimant_name: str | None) -> bool:
    """The account holder's name is the claimant's own (a re-issue goes to no one else)."""
    if not account_name or not claimant_name:
        return False
    return _name_key(account_name) == _name_key(claimant_name)
