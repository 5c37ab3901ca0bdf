"""The policy folder, reloaded while the worker and the API run (issue 9 §7).

On use, at most once every ``check_seconds`` (setting ``POLICY_CHECK_SECONDS``), the files
are compared with those last read by modification time, size and inode. A changed file is
read and validated on its own: a valid version replaces the old one for every later use; an
invalid one is refused, the file's last valid version stays in use, an ERROR is logged and
``problems()`` names the file and the reason (the health endpoint shows them) until a valid
version is written. A removed file is refused the same way: its last version stays in use
until a restart. At start-up an invalid file stops the process, as before.

Workflows get policy values only through activities, whose results their histories keep,
so a reload changes what later activities answer and never the replay of a running case.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from domain.policy import PolicyError
from policy import (
    PolicyBook,
    PolicyFile,
    PolicyProblem,
    assemble_book,
    policy_files,
    read_policy_file,
    shown_name,
)

log = logging.getLogger("policy")
Stamp = tuple[int, int, int]
REMOVED = "file removed: used as last read until a restart"


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class PolicyStore:
    """A PolicySource whose ``current()`` is the folder's latest valid policy."""

    def __init__(
        self,
        directory: Path,
        check_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.check_seconds = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen: dict[Path, Stamp] = {}
        self._valid: dict[Path, PolicyFile] = {}
        self._problems: dict[str, str] = {}
        for path in policy_files(directory):  # start-up: the first invalid file stops it
            stamp = _stamp(path)
            if stamp is not None:
                self._valid[path] = read_policy_file(directory, path)
                self._seen[path] = stamp
        self._book = assemble_book(directory, self._valid.values())
        self._checked = monotonic()

    def current(self) -> PolicyBook:
        """The policy in force now, after looking for edited files if it is time to."""
        if self._monotonic() - self._checked >= self.check_seconds:
            with self._lock:
                if self._monotonic() - self._checked >= self.check_seconds:
                    self._refresh()
                    self._checked = self._monotonic()
        return self._book

    def problems(self) -> list[PolicyProblem]:
        """Files refused since they were last valid, by name."""
        return [PolicyProblem(f, r) for f, r in sorted(self._problems.items())]

    def _refresh(self) -> None:
        changed = False
        present = {path: _stamp(path) for path in policy_files(self.directory)}
        for path, stamp in present.items():
            if stamp is None or self._seen.get(path) == stamp:
                continue
            self._seen[path] = stamp
            if self._take(path, stamp):
                changed = True
        for path in [p for p in self._seen if present.get(p) is None]:
            del self._seen[path]
            if path in self._valid:
                self._refuse(path, REMOVED)
            else:  # a refused file taken away: nothing of it was in use
                self._problems.pop(shown_name(self.directory, path), None)
        if changed:
            self._book = assemble_book(self.directory, self._valid.values())

    def _take(self, path: Path, stamp: Stamp) -> bool:
        """Read one changed file: True when its new version is in use."""
        shown = shown_name(self.directory, path)
        try:
            value = read_policy_file(self.directory, path)
        except PolicyError as err:
            self._refuse(path, str(err).removeprefix(f"{shown}: "))
            return False
        except OSError as err:
            self._refuse(path, f"cannot be read: {err}")
            return False
        if _stamp(path) != stamp:  # written again while being read: read it next time
            del self._seen[path]
            return False
        self._valid[path] = value
        if self._problems.pop(shown, None) is not None:
            log.warning("policy file %s is valid again and in use", shown)
        else:
            log.info("policy file %s reloaded", shown)
        return True

    def _refuse(self, path: Path, reason: str) -> None:
        shown = shown_name(self.directory, path)
        self._problems[shown] = reason
        kept = "its last valid version stays in use" if path in self._valid else "not used"
        log.error("policy file %s refused (%s): %s", shown, kept, reason)
