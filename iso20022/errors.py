"""The one error every parser raises."""


class MessageError(ValueError):
    """A message we refuse: malformed, of another type, or inconsistent. `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
