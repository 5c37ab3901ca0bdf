"""Staff actions shared by the REST routes and the staff pages; they raise ActionError."""

from __future__ import annotations

from collections.abc import Sequence


class ActionError(Exception):
    """An action refused: `status` is the HTTP status, `loc` the field when one is at fault."""

    def __init__(self, status: int, message: str, loc: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.loc = list(loc) if loc else None
