"""The declaration protocol between the UI agency and the medical-insurance agency (JSON over
HTTP): a batch of lines in, an answer per line out (at once, or later by a signed webhook and
on request). Both sides use these models, so a field renamed on one side fails on both."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SIGNATURE_HEADER = "X-Medagency-Signature"  # "sha256=<hex HMAC-SHA256 of the body>"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
_STRICT = ConfigDict(extra="forbid", frozen=True)


class DeclarationLine(BaseModel):
    """Enrol a person (参保登记) with the month's premium, pay a month's premium for an
    enrolled person, or stop their cover (停保) from `stop_date` (premium 0)."""

    model_config = _STRICT
    line_id: Annotated[str, Field(min_length=1, max_length=40)]
    action: Literal["enrol", "continue", "stop"]
    person_ref: Annotated[str, Field(min_length=1, max_length=64)]
    national_id: Annotated[str, Field(min_length=1, max_length=18, repr=False)]
    name: Annotated[str, Field(max_length=128)] = ""
    month: Month
    premium: Amount
    stop_date: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DeclarationLine:
        if self.action == "stop":
            if self.stop_date is None or self.premium != 0:
                raise ValueError("a stop line carries a stop_date and a premium of 0")
        elif self.premium <= 0 or self.stop_date is not None:
            raise ValueError(f"an {self.action} line carries a premium above 0 and no stop_date")
        return self


class Declaration(BaseModel):
    """One monthly declaration batch of a region; `batch_key` is accepted once."""

    model_config = _STRICT
    batch_key: Annotated[str, Field(min_length=1, max_length=48)]
    region_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    month: Month
    lines: list[DeclarationLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_lines(self) -> Declaration:
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("line_id must be unique within a batch")
        return self


class LineResult(BaseModel):
    """The agency's answer to one line: accepted, or rejected with a reason; an accepted
    premium the agency found paid twice (the employer paid it too) names the duplicate part."""

    model_config = _STRICT
    line_id: str
    person_ref: str
    result: Literal["accepted", "rejected"]
    reason: str | None = None
    duplicate_premium: Amount | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LineResult:
        if self.result == "rejected" and not self.reason:
            raise ValueError("a rejected line carries a reason")
        if self.duplicate_premium is not None and (
            self.result != "accepted" or self.duplicate_premium <= 0
        ):
            raise ValueError("only an accepted line reports a duplicate premium, above 0")
        return self


class Answer(BaseModel):
    """The agency's answer to a batch: every line's result."""

    model_config = _STRICT
    batch_key: str
    region_code: str
    month: Month
    status: Literal["answered"] = "answered"
    answered_at: datetime
    lines: list[LineResult]


class Processing(BaseModel):
    """The batch is received; its answer comes later (webhook, or ask again)."""

    model_config = _STRICT
    batch_key: str
    status: Literal["processing"] = "processing"
    received_at: datetime
