"""The decision forms of the task page: what they post, and how that becomes an outcome.

The domain's own checks (domain.tasks.check_outcome, domain.review.check_review_outcome) run
here first, so a plain mistake comes back beside its field without a round trip to the
workflow; the workflow's Update validator still has the last word."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from domain.review import check_review_outcome
from domain.tasks import OutcomeError, check_outcome

Decided = tuple[str, str | None, dict[str, Any]]


class CompleteForm(BaseModel):
    form: str = ""  # which of the page's forms was sent (approve, reject, ordered, ...)
    outcome: str = ""
    reason: str = ""
    contribution_months: str = ""
    reasons: list[str] = []
    days: str = ""
    reason_code: str = ""
    bank_code: str = ""
    account_number: str = ""
    account_name: str = ""
    separation_date: str = ""
    survivor_document: str = ""  # a re-issue to a survivor's account (domain/access.py)
    csrf_token: str = ""


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def add(self, name: str, message: str) -> None:
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general = message

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def field_of(loc: Sequence[str] | None) -> str:
    """["body", "data", "contribution_months"] → "contribution_months"; none → the form."""
    if not loc or list(loc) == ["body"]:
        return ""
    return str(loc[-1])


def _int(raw: str, name: str, errs: FormErrors, t: Callable[[str], str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errs.add(name, t("error.integer"))
        return None


def _data(kind: str, outcome: str, form: CompleteForm, errs: FormErrors, t: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if kind == "review_claim" and outcome == "approve":
        months = _int(form.contribution_months, "contribution_months", errs, t)
        if months is not None:
            data["contribution_months"] = months
    elif kind == "review_claim" and outcome == "reject":
        data["reasons"] = [r for r in form.reasons if r]
    elif kind == "employer_report_overdue" and outcome == "ordered":
        days = _int(form.days, "days", errs, t)
        if days is not None:
            data["days"] = days
    elif kind == "payment_returned" and outcome == "reissue":
        account = {
            "bank_code": form.bank_code.strip(),
            "account_number": "".join(form.account_number.split()),
            "account_name": form.account_name.strip(),
        }
        for name, value in account.items():
            if not value:
                errs.add(name, t("error.required"))
        if form.survivor_document.strip():
            account["survivor_document"] = form.survivor_document.strip()
        data["bank_account"] = account
    elif kind == "separation_date_mismatch":
        if form.separation_date:
            data["separation_date"] = form.separation_date
        else:
            errs.add("separation_date", t("error.required"))
    elif kind == "employer_report_overdue" and outcome == "resolved":
        if form.reason_code:
            data["reason_code"] = form.reason_code
        months = _int(form.contribution_months, "contribution_months", errs, t)
        if months is not None:
            data["contribution_months"] = months
    return data


def to_outcome(
    kind: str, form: CompleteForm, t: Callable[[str], str]
) -> tuple[Decided | None, FormErrors]:
    """(outcome, reason, data) for the workflow, or the errors to show beside the fields."""
    errs = FormErrors()
    outcome = form.outcome.strip()
    reason = form.reason.strip() or None
    if not outcome:
        errs.add("outcome", t("error.required"))
        return None, errs
    data = _data(kind, outcome, form, errs, t)
    if errs:
        return None, errs
    try:
        check_outcome(kind, outcome, reason, data)
        if kind == "review_claim":
            check_review_outcome(outcome, reason, data)
    except OutcomeError as err:
        name = field_of(["body", *err.field.split(".")])
        if name == "reasons" and not data.get("reasons"):
            errs.add(name, t("error.reasons_required"))
        elif name == "reason" and reason is None:
            errs.add(name, t("error.required"))
        else:
            errs.add(name, str(err))
        return None, errs
    return (outcome, reason, data), errs
