"""National policy data shared by every region (``policy/national.toml``).

Pure: validates an already-parsed TOML document. Today it holds the statutory retirement
age schedule (domain/retirement.py); the file states its sources and the date the schedule
took effect, which versions the pre-checks that use it (``national@<effective_from>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from domain.policy import policy_error
from domain.retirement import RetirementSchedule


def _toml_date(value: object) -> date:
    if type(value) is not date:
        raise ValueError("must be a TOML date like 2025-01-01 (no quotes, no time)")
    return value


class NationalPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: tuple[Annotated[str, Strict()], ...] = Field(min_length=1)
    effective_from: Annotated[date, BeforeValidator(_toml_date)]
    retirement: RetirementSchedule

    @property
    def version(self) -> str:
        return f"national@{self.effective_from.isoformat()}"


def parse_national_policy(data: Mapping[str, Any], file: str) -> NationalPolicy:
    """Validate the national file; PolicyError (file, dotted key, reason) on the first
    problem."""
    try:
        return NationalPolicy.model_validate(data)
    except ValidationError as e:
        raise policy_error(file, e, ()) from None
