"""The `type` of every ApplicationError that crosses a boundary: the API maps a refused Update
to an HTTP status by it, and a workflow turns a permanent activity failure into a task by it.
Never by the error's message text."""

from __future__ import annotations

# A refused Update (validators in workflows/): the API answers with the status named here.
TASK_NOT_FOUND = "TaskNotFound"  # 404
TASK_CLOSED = "TaskClosed"  # 409
FORBIDDEN = "Forbidden"  # 403
INVALID_OUTCOME = "InvalidOutcome"  # 422, the field in the error's first detail
