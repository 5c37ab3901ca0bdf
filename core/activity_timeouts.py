"""A cap on the activity timeouts a worker's workflows schedule, for the fault suite only.

A worker process killed while one of its activities runs leaves that attempt to its
start-to-close (or heartbeat) timeout before the server gives it to another worker: 30 s for
most activities, 5 minutes for a bank submission or a declaration to the medical agency. The
workflows' values are right for production (a slow bank must not be asked twice in a
minute); the fault suite kills workers hundreds of times and wants the next attempt within
seconds. `ACTIVITY_TIMEOUT_CAP_SECONDS` (Settings; 0, the default, means no cap, and
production refuses any other value) makes the worker's workflow interceptor lower every
start-to-close and heartbeat timeout it schedules to that many seconds, a local activity's
start-to-close too (the calendars' loop and the case's read-model sync run local activities:
a worker killed inside one leaves the workflow task to its timeout, and the next worker runs
the attempt again, but an attempt hung on a dead connection waits its start-to-close).

Deterministic: the same worker setting gives the same commands, and an activity's timeouts
are not compared when a history replays (tests/workflows/test_replay*.py replay the recorded
histories with the cap on)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)


def capped(value: timedelta | None, cap: timedelta) -> timedelta | None:
    return None if value is None else min(value, cap)


def cap_input(inp: StartActivityInput, cap: timedelta) -> StartActivityInput:
    """The activity's start-to-close and heartbeat timeouts no longer than `cap` (an activity
    with only a schedule-to-close timeout gets a start-to-close of at most `cap`)."""
    if inp.start_to_close_timeout is None and inp.schedule_to_close_timeout is not None:
        inp.start_to_close_timeout = inp.schedule_to_close_timeout
    inp.start_to_close_timeout = capped(inp.start_to_close_timeout, cap)
    inp.heartbeat_timeout = capped(inp.heartbeat_timeout, cap)
    return inp


def cap_local_input(inp: StartLocalActivityInput, cap: timedelta) -> StartLocalActivityInput:
    """A local activity's start-to-close no longer than `cap` (one with only a
    schedule-to-close timeout gets a start-to-close of at most `cap`)."""
    if inp.start_to_close_timeout is None and inp.schedule_to_close_timeout is not None:
        inp.start_to_close_timeout = inp.schedule_to_close_timeout
    inp.start_to_close_timeout = capped(inp.start_to_close_timeout, cap)
    return inp


class ActivityTimeoutCap(Interceptor):
    """Registered on the worker when the cap is set (worker.py)."""

    def __init__(self, seconds: float) -> None:
        self.cap = timedelta(seconds=seconds)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        cap = self.cap

        class _Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
                return self.next.start_activity(cap_input(input, cap))

            def start_local_activity(
                self, input: StartLocalActivityInput
            ) -> workflow.ActivityHandle[Any]:
                return self.next.start_local_activity(cap_local_input(input, cap))

        class _Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                self.next.init(_Outbound(outbound))

        return _Inbound
