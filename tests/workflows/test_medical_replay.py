"""Replay of the medical workflows: histories recorded by the medical tests (one batch
declared, before and after `declaration-local-steps`; the agency down then back, a late
answer, lines rejected then re-declared or withdrawn, a refund's two reviews, the calendar's
start) must replay on today's code.

Record with `RECORD_HISTORIES=1 make test PYTEST_ARGS="tests/workflows/test_medical_*.py"`."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from tests.workflows.medical_stack import HISTORIES, replayer, workflow_id_of


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_medical_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(workflow_id_of(path), path.read_text())
    await replayer().replay_workflow(history)


def test_every_medical_workflow_has_a_recorded_history() -> None:
    names = {p.stem for p in HISTORIES.glob("*.json")}
    assert {"declared_one_batch", "calendar_started_declaration"} <= names
    assert "answer_refused_then_task" in names  # the patch medical-answer-refused-task
    assert "declared_one_batch_local_steps" in names  # the patch declaration-local-steps
