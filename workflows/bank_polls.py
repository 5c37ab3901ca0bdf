"""When a payment run (workflows/payment_run.py) asks the bank for the statuses its webhook
has not brought: first when the bank can first have booked the run (`booked_from`, the
submission's answer: activities/payments.py), then every POLL_EVERY; a run whose submission
was recorded before the answer said so (None), every POLL_EVERY as before. Only the timers'
durations differ between the two, which replay does not check: no patch."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

POLL_EVERY = timedelta(hours=6)
MIN_WAIT = timedelta(seconds=1)  # a booking moment already past: poll at once (still a timer)


class PollSchedule:
    def __init__(self, booked_from: datetime | None) -> None:
        self.due = booked_from

    def wait(self) -> timedelta:
        """How long to wait for the webhook's report before polling."""
        return POLL_EVERY if self.due is None else max(self.due - workflow.now(), MIN_WAIT)

    def polled(self) -> None:
        if self.due is not None:
            self.due = workflow.now() + POLL_EVERY

    def reported(self) -> None:
        """A report applied: the next poll a POLL_EVERY on, never before the booking moment."""
        if self.due is not None:
            self.due = max(self.due, workflow.now() + POLL_EVERY)
