"""The simulated clock's demo stack runs the workflows without Temporal's sandbox (~13% of an
advance's time, bench/README.md "Simulated clock"); everything else keeps it: the setting's
default, production refuses it off, scripts/run_stack.py turns it off for CLOCK=simulated only,
and every recorded history (tests/histories/) replays the same without the sandbox as with it,
so the workflows' code does not lean on the sandbox's fresh imports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from core.settings import Settings
from tests.conftest import ROOT
from tests.utils.temporal import CONVERTER
from worker import WORKFLOWS, workflow_runner

sys.path.insert(0, str(ROOT / "scripts"))
import run_stack  # noqa: E402

HISTORIES = ROOT / "tests" / "histories"
PRODUCTION: dict[str, Any] = {
    "secret_key": "s" * 40, "case_id_key": "c" * 40, "bank_webhook_secret": "b" * 40,
    "medagency_webhook_secret": "m" * 40, "bank_url": "https://bank.example",
    "payload_keys": "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
}  # fmt: skip


def test_the_sandbox_is_on_unless_turned_off() -> None:
    assert isinstance(workflow_runner(Settings(app_env="test")), SandboxedWorkflowRunner)
    off = Settings(app_env="development", workflow_sandbox=False)
    assert isinstance(workflow_runner(off), UnsandboxedWorkflowRunner)
    Settings(app_env="production", **PRODUCTION)  # the production set-up itself is valid
    with pytest.raises(ValidationError, match="simulated clock only"):
        Settings(app_env="production", workflow_sandbox=False, **PRODUCTION)


def test_run_stack_turns_it_off_for_the_simulated_clock_only(tmp_path: Path) -> None:
    _dir, real = run_stack.stack_data("real", tmp_path / "real", {})
    assert "WORKFLOW_SANDBOX" not in real
    _dir, sim = run_stack.stack_data("simulated", tmp_path / "sim", {})
    assert sim["WORKFLOW_SANDBOX"] == "false"
    env_value = {"app_env": "development", "workflow_sandbox": sim["WORKFLOW_SANDBOX"]}
    assert Settings.model_validate(env_value).workflow_sandbox is False
    _dir, kept = run_stack.stack_data("simulated", tmp_path / "s2", {"WORKFLOW_SANDBOX": "true"})
    assert kept["WORKFLOW_SANDBOX"] == "true"


@pytest.mark.parametrize(
    "folder",
    sorted({p.parent for p in HISTORIES.rglob("*.json")}),
    ids=lambda p: p.relative_to(HISTORIES).as_posix(),
)
async def test_recorded_histories_replay_without_the_sandbox(folder: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=CONVERTER, workflow_runner=UnsandboxedWorkflowRunner()
    )
    for path in sorted(folder.glob("*.json")):
        kept = path.with_suffix(".workflow_id")  # a history whose task IDs hold its ID
        wid = kept.read_text().strip() if kept.exists() else str(path)
        await replayer.replay_workflow(WorkflowHistory.from_json(wid, path.read_text()))
