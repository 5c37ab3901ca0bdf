"""Every workflow ID (and the task IDs others look up), built here and nowhere else.

IDs are business keys, so a repeated start or a double click finds the same workflow. A leaf
module: the API, activities, scripts, benchmarks and tests import it without workflow code."""

from __future__ import annotations

from datetime import date

DAILY_RECONCILIATION = "reconciliation-daily"
_CASE = "case-"
_PAYMENT_RUN = "payment-run-"


def case(case_id: str) -> str:
    """One case: `case-<case_id>` (ARCHITECTURE.md "Sources of truth")."""
    return f"{_CASE}{case_id}"


def payment_run_id(region_code: str, day: date) -> str:
    """The run of a region's payout day (also the pain.001 message ID)."""
    return f"R{region_code}-{day:%Y%m%d}"


def payment_run(run_id: str) -> str:
    return f"{_PAYMENT_RUN}{run_id}"


_PAYMENT_RETURNS = "payment-returns-"


def payment_returns(run_id: str) -> str:
    """The child of a payment run that holds its returns' tasks (workflows/payment_returns.py)."""
    return f"{_PAYMENT_RETURNS}{run_id}"


def run_id_of(workflow_id: str) -> str:
    """The run ID in a payment run's workflow ID, or in its returns' workflow's."""
    for prefix in (_PAYMENT_RETURNS, _PAYMENT_RUN):
        if workflow_id.startswith(prefix):
            return workflow_id.removeprefix(prefix)
    raise ValueError(f"{workflow_id!r} is not a payment run's workflow ID (nor its returns')")


def of_payment_run(workflow_id: str) -> bool:
    """Whether it is a payment run or its returns' workflow (their tasks are the run's)."""
    return workflow_id.startswith((_PAYMENT_RUN, _PAYMENT_RETURNS))


PAYOUT_CALENDAR = "payout-calendar"  # the one payout calendar of all regions
MEDICAL_CALENDAR = "medical-calendar"  # the one medical calendar of all regions


def payout_calendar(region_code: str) -> str:
    """A region's own payout calendar, of the deployments before `PAYOUT_CALENDAR` (their
    runs are terminated when a worker starts)."""
    return f"payout-calendar-{region_code}"


def day_reconciliation(day: date) -> str:
    return f"reconcile-{day.isoformat()}"


def medical_calendar(region_code: str) -> str:
    """A region's own medical calendar, of the deployments before `MEDICAL_CALENDAR`."""
    return f"medical-calendar-{region_code}"


def medical_declaration(region_code: str, month: date) -> str:
    """A region's monthly declaration to the medical-insurance agency (`month`: its 1st)."""
    return f"medical-declaration-{region_code}-{month:%Y%m}"


def recovery_offset(offset_id: int) -> str:
    """The supervisor's review of one offset request (workflows/recovery_offset.py)."""
    return f"recovery-offset-{offset_id}"


def offset_task(offset_id: int) -> str:
    """The `recovery_offset_review` task of one offset request."""
    return f"recovery_offset_review-{offset_id}"


def mismatch_task(day: date, end_to_end_id: str) -> str:
    """The finance task a day's reconciliation opens for one mismatch."""
    return f"reconciliation_mismatch-{day:%Y%m%d}-{end_to_end_id}"
