"""The months a cross-province transfer hands over (workflows/claim/transfer.py; DOMAIN.md
stage 9): a check-in the source accepted while the transfer ran goes with its month, and
once the destination's months are built a check-in at the source is refused; one made at
the destination before its acceptance is kept with the carried month holding its day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, cast

import pytest
from temporalio.exceptions import ApplicationError

from payloads.case_state import CaseState, MonthState, TransferState
from payloads.errors import TASK_CLOSED
from workflows.claim.check_ins import kept_in
from workflows.claim.transfer import TransferStage, carried

M3 = MonthState(month=3, start=date(2027, 2, 2), end=date(2027, 3, 2))
M4 = MonthState(month=4, start=date(2027, 3, 2), end=date(2027, 4, 2))


def test_a_month_checked_in_at_the_source_keeps_its_check_in_after_the_acceptance() -> None:
    checked = replace(M3, status="checked_in", check_in=date(2027, 2, 5))
    moved = [carried(1, checked), carried(2, M4)]
    first = (moved[0].month, moved[0].status, moved[0].check_in)
    assert first == (1, "checked_in", checked.check_in)
    assert moved[1].status == "open"
    # accepted after month 3 ended: it stays checked in (not waived), month 4 is checked in
    # by the acceptance (the claimant's visit), as before
    b = TransferStage._months_at(date(2027, 3, 9), moved)
    assert [(m.status, m.check_in, m.by_registration) for m in b.months] == [
        ("checked_in", date(2027, 2, 5), False),
        ("checked_in", date(2027, 3, 9), True),
    ]
    assert b.current == 2
    # not carried (open): ended before the acceptance, waived (paid all the same)
    b = TransferStage._months_at(date(2027, 3, 9), [carried(1, M3), carried(2, M4)])
    assert b.months[0].status == "waived"


def test_a_check_in_at_the_source_once_its_months_are_handed_over_is_refused() -> None:
    s = CaseState(case_id="c1")
    s.transfer = TransferState(
        to_region_code="330100",
        kind="cross_province",
        requested_by="clerk",
        requested_on=date(2027, 2, 5),
        from_region_code="220100",
    )
    stage = TransferStage(cast(Any, None), s)
    stage.validate_check_in()  # the transfer running: the check-in goes with its month
    stage.handing_over = True
    with pytest.raises(ApplicationError) as err:
        stage.validate_check_in()
    assert err.value.type == TASK_CLOSED and "330100" in str(err.value)


def test_a_check_in_at_the_destination_before_the_acceptance_keeps_its_month() -> None:
    """DOMAIN.md "Benefit months": the first check-in inside a month's period checks it in;
    a month the source checked in keeps the source's day; a day in no carried month (the
    source's months before) checks nothing in."""
    at_source = replace(M3, status="checked_in", check_in=date(2027, 2, 5))
    log = [date(2027, 1, 20), date(2027, 2, 9), date(2027, 3, 12), date(2027, 3, 20)]
    kept = kept_in([carried(1, at_source), carried(2, M4)], log)
    assert [(m.status, m.check_in, m.by_registration) for m in kept] == [
        ("checked_in", date(2027, 2, 5), False),
        ("checked_in", date(2027, 3, 12), False),
    ]
    # accepted while month 2 runs: its check-in is the claimant's, not the acceptance's
    b = TransferStage._months_at(date(2027, 3, 25), kept)
    assert [(m.status, m.check_in, m.by_registration) for m in b.months] == [
        ("checked_in", date(2027, 2, 5), False),
        ("checked_in", date(2027, 3, 12), False),
    ]
    assert b.current == 2
    untouched = kept_in([carried(1, M3)], [date(2027, 1, 20)])
    assert (untouched[0].status, untouched[0].check_in) == ("open", None)
