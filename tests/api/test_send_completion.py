"""`send_completion` meets a run that has just continued as new: the server answers NOT_FOUND
("Completed workflow") for an Update that was not delivered; while a newer run is running the
completion is sent again, and when none is the NOT_FOUND is raised (the API's 409: the case
has closed). The moment cannot be held on a real server (seen under load in
tests/workflows/test_mass_returns.py), so the handle here is a stand-in that answers as the
server did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.services import tasks as task_service
from api.services.tasks import send_completion
from payloads.tasks import CompleteTaskInput

INP = CompleteTaskInput(
    task_id="payment_returned-X", outcome="cancel", actor="finance", actor_roles=["finance"]
)


@dataclass
class Described:
    status: WorkflowExecutionStatus


@dataclass
class Handle:
    """Answers the first `closed` Updates as a run closed by continue-as-new does."""

    closed: int
    latest: WorkflowExecutionStatus | None
    sent: list[Any] = field(default_factory=list)
    id: str = "payment-returns"

    async def execute_update(self, update: Any, arg: Any) -> None:
        self.sent.append(arg)
        if len(self.sent) <= self.closed:
            raise RPCError("Completed workflow", RPCStatusCode.NOT_FOUND, b"")

    async def describe(self) -> Described:
        if self.latest is None:
            raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")
        return Described(self.latest)


async def test_sent_again_to_the_run_that_continued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_service, "RETRY_PAUSE", 0)
    h = Handle(closed=2, latest=WorkflowExecutionStatus.RUNNING)
    await send_completion(h, INP)  # type: ignore[arg-type]
    assert h.sent == [INP, INP, INP]


@pytest.mark.parametrize("latest", [WorkflowExecutionStatus.COMPLETED, None])
async def test_not_found_raised_when_no_run_is_running(
    monkeypatch: pytest.MonkeyPatch, latest: WorkflowExecutionStatus | None
) -> None:
    monkeypatch.setattr(task_service, "RETRY_PAUSE", 0)
    h = Handle(closed=1, latest=latest)
    with pytest.raises(RPCError) as err:
        await send_completion(h, INP)  # type: ignore[arg-type]
    assert err.value.status == RPCStatusCode.NOT_FOUND
    assert h.sent == [INP]
