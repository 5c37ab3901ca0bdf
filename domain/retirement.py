"""Working age: 16 at the separation, and the statutory retirement age by birth cohort and sex.

DOMAIN.md "Identifiers" (working age). The minimum is statute (劳动法 art. 15: no one under
16 may be employed; seed 000 art. 3: an unemployed worker is one 在法定劳动年龄之内). The
retirement age is policy data (``policy/national.toml``): the NPC Standing Committee's
decision of 2024-09-13 on gradually raising the statutory retirement age, in force
2025-01-01, and the State Council's measures attached to it (art. 2 and the table): from
a first birth month on, each block of ``birth_months_per_step`` birth months retires
``step_months`` later than the block before, until the target age.

The identity number carries the birth date and the sex, not whether a woman's original
retirement age was 55 (cadres, 女干部) or 50 (workers, 女工人): a region's policy names the
base assumed by default (``women_retirement_group``), and the pre-check states the other
base's date too, so a reviewer can decide otherwise with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator

from domain.entitlement import add_months

MIN_WORKING_AGE_YEARS = 16  # 劳动法 art. 15
Sex = Literal["male", "female"]
WomenGroup = Literal["women_worker", "women_cadre"]
GROUP_LABELS: dict[str, str] = {
    "men": "men (original age 60)",
    "women_cadre": "women cadres (原法定退休年龄55周岁)",
    "women_worker": "women workers (原法定退休年龄50周岁)",
}


def age_reached_on(birth: date, months: int) -> date:
    """The day someone born on ``birth`` reaches an age of ``months`` months (the
    anniversary; a birthday that the month lacks falls on its last day)."""
    return add_months(birth, months)


def age_in_years(birth: date, on: date) -> int:
    """Completed years of age (周岁) on ``on``."""
    years = on.year - birth.year
    return years if on >= age_reached_on(birth, years * 12) else years - 1


def below_working_age(birth: date, separation: date) -> str | None:
    """Why someone born on ``birth`` was not of working age on the separation date (under
    16: 劳动法 art. 15; seed 000 art. 3), or None when they were."""
    if birth > separation:
        return f"birth date {birth.isoformat()} is after the separation date"
    if separation >= age_reached_on(birth, MIN_WORKING_AGE_YEARS * 12):
        return None
    age = age_in_years(birth, separation)
    return (
        f"the claimant was {age} on the separation date {separation.isoformat()}: under the "
        f"working age of {MIN_WORKING_AGE_YEARS} (劳动法 art. 15), not insured against "
        "unemployment"
    )


def _first_of_month(value: object) -> date:
    if type(value) is not date or value.day != 1:
        raise ValueError("must be a TOML date on the 1st of a month, like 1965-01-01")
    return value


Years = Annotated[int, Strict(), Field(ge=16, le=80)]
Count = Annotated[int, Strict(), Field(ge=1, le=24)]


class RetirementGroup(BaseModel):
    """One group's schedule: the original age, raised for cohorts born from a month on."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    base_years: Years
    raise_from_birth: Annotated[date, BeforeValidator(_first_of_month)]
    birth_months_per_step: Count
    step_months: Count
    target_years: Years

    @model_validator(mode="after")
    def _raises(self) -> RetirementGroup:
        if self.target_years < self.base_years:
            raise ValueError("target_years must not be below base_years")
        return self

    def age_months(self, birth: date) -> int:
        """The statutory retirement age, in months, of someone born on ``birth``."""
        start = self.raise_from_birth
        index = (birth.year - start.year) * 12 + birth.month - start.month
        raised = 0 if index < 0 else (index // self.birth_months_per_step + 1) * self.step_months
        return min(self.base_years * 12 + raised, self.target_years * 12)


@dataclass(frozen=True)
class Retirement:
    """When one person reaches the statutory retirement age under ``group``'s schedule;
    ``other`` is the women's other base, which the identity number cannot rule out."""

    group: str
    age_months: int
    on: date
    other: Retirement | None = None

    @property
    def age_text(self) -> str:
        years, months = divmod(self.age_months, 12)
        return f"{years}y{months}m" if months else f"{years}y"


class RetirementSchedule(BaseModel):
    """The national schedule (``[retirement]`` of policy/national.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    men: RetirementGroup
    women_cadre: RetirementGroup
    women_worker: RetirementGroup

    def group(self, name: str) -> RetirementGroup:
        found: RetirementGroup = getattr(self, name)
        return found

    def _of(self, name: str, birth: date, other: Retirement | None = None) -> Retirement:
        months = self.group(name).age_months(birth)
        return Retirement(name, months, age_reached_on(birth, months), other)

    def retirement(self, birth: date, sex: Sex, women_group: WomenGroup) -> Retirement:
        """The retirement of a man, or of a woman under the region's assumed base (with
        the other base's as ``other``)."""
        if sex == "male":
            return self._of("men", birth)
        other = "women_cadre" if women_group == "women_worker" else "women_worker"
        return self._of(women_group, birth, self._of(other, birth))
