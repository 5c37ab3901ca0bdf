"""The fault suite's cap on activity timeouts (core/activity_timeouts.py): lowers the
start-to-close and heartbeat timeouts a workflow schedules (a local activity's start-to-close
too), leaves shorter ones alone, is
refused in production, and every recorded history (tests/histories/) still replays on
workers that have it: the commands are the same, only their timeouts differ."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowHistory
from temporalio.common import Priority
from temporalio.worker import Replayer, StartActivityInput, StartLocalActivityInput
from temporalio.workflow import ActivityCancellationType

from core.activity_timeouts import ActivityTimeoutCap, cap_input, cap_local_input
from core.settings import Settings
from tests.conftest import ROOT
from tests.utils.temporal import CONVERTER
from worker import WORKFLOWS

HISTORIES = ROOT / "tests" / "histories"
CAP = timedelta(seconds=8)


def _input(
    start_to_close: timedelta | None,
    heartbeat: timedelta | None = None,
    schedule_to_close: timedelta | None = None,
) -> StartActivityInput:
    return StartActivityInput(
        activity="submit_run", args=[], activity_id=None, task_queue=None,
        schedule_to_close_timeout=schedule_to_close, schedule_to_start_timeout=None,
        start_to_close_timeout=start_to_close, heartbeat_timeout=heartbeat, retry_policy=None,
        cancellation_type=ActivityCancellationType.TRY_CANCEL, headers={},
        disable_eager_execution=False, versioning_intent=None, summary=None,
        priority=Priority.default, arg_types=None, ret_type=None,
    )  # fmt: skip


def test_the_cap_lowers_long_timeouts_and_keeps_short_ones() -> None:
    submission = cap_input(_input(timedelta(minutes=5), timedelta(minutes=2)), CAP)
    assert (submission.start_to_close_timeout, submission.heartbeat_timeout) == (CAP, CAP)
    quick = cap_input(_input(timedelta(seconds=3)), CAP)
    assert (quick.start_to_close_timeout, quick.heartbeat_timeout) == (timedelta(seconds=3), None)
    only_schedule = cap_input(_input(None, schedule_to_close=timedelta(hours=1)), CAP)
    assert only_schedule.start_to_close_timeout == CAP
    assert only_schedule.schedule_to_close_timeout == timedelta(hours=1)  # the whole: kept


def _local(
    start_to_close: timedelta | None, schedule_to_close: timedelta | None = None
) -> StartLocalActivityInput:
    return StartLocalActivityInput(
        activity="next_payout_day", args=[], activity_id=None,
        schedule_to_close_timeout=schedule_to_close, schedule_to_start_timeout=None,
        start_to_close_timeout=start_to_close, retry_policy=None, local_retry_threshold=None,
        cancellation_type=ActivityCancellationType.TRY_CANCEL, headers={}, summary=None,
    )  # fmt: skip


def test_the_cap_lowers_a_local_activitys_timeout_too() -> None:
    assert cap_local_input(_local(timedelta(seconds=30)), CAP).start_to_close_timeout == CAP
    quick = cap_local_input(_local(timedelta(seconds=3)), CAP)
    assert quick.start_to_close_timeout == timedelta(seconds=3)
    only_schedule = cap_local_input(_local(None, timedelta(hours=1)), CAP)
    assert only_schedule.start_to_close_timeout == CAP
    assert only_schedule.schedule_to_close_timeout == timedelta(hours=1)


def test_the_workers_interceptor_caps_local_activities() -> None:
    """The outbound interceptor the cap installs hands a capped local activity on (before, it
    overrode `start_activity` only)."""
    seen: list[StartLocalActivityInput] = []

    class _Next:
        def start_local_activity(self, input: StartLocalActivityInput) -> None:
            seen.append(input)

    class _NextInbound:
        outbound: object = None

        def init(self, outbound: object) -> None:
            self.outbound = outbound

    inbound_class = ActivityTimeoutCap(8).workflow_interceptor_class(None)  # type: ignore[arg-type]
    nxt = _NextInbound()
    inbound_class(nxt).init(_Next())  # type: ignore[arg-type]
    nxt.outbound.start_local_activity(_local(timedelta(seconds=30)))  # type: ignore[attr-defined]
    assert [i.start_to_close_timeout for i in seen] == [CAP]


def test_production_refuses_the_cap() -> None:
    assert Settings(app_env="test", activity_timeout_cap_seconds=5).activity_timeout_cap_seconds
    with pytest.raises(ValidationError, match="fault suite only"):
        Settings(
            app_env="production", activity_timeout_cap_seconds=5,
            secret_key="s" * 40, case_id_key="c" * 40, bank_webhook_secret="b" * 40,
            medagency_webhook_secret="m" * 40, bank_url="https://bank.example",
            payload_keys="k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
        )  # fmt: skip


@pytest.mark.parametrize(
    "folder",
    sorted({p.parent for p in HISTORIES.rglob("*.json")}),
    ids=lambda p: p.relative_to(HISTORIES).as_posix(),
)
async def test_recorded_histories_replay_with_the_cap(folder: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=CONVERTER, interceptors=[ActivityTimeoutCap(2)]
    )
    for path in sorted(folder.glob("*.json")):
        kept = path.with_suffix(".workflow_id")  # a history whose task IDs hold its ID
        wid = kept.read_text().strip() if kept.exists() else str(path)
        await replayer.replay_workflow(WorkflowHistory.from_json(wid, path.read_text()))
