"""A small per-process cache of user rows, so that authenticating a request costs a token check
and a dict look-up rather than a database query.

An entry lives `ttl` seconds (USER_CACHE_SECONDS, 5 by default; 0 turns the cache off). Every
change to a user committed through an ORM session of this process (`python -m db.users`, the
seed, tests) clears all caches of the process at once. A change made by another process (another
uvicorn worker, `python -m db.users` run elsewhere, SQL by hand) takes effect within the TTL: a
deactivated user, or one who lost a role, keeps being let in for at most that many seconds.
Unknown user names are never cached, so a new user can sign in at once. Each request gets its
own fresh `User` object built from the cached values; nothing mutable is shared."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from api.security import Claims, check_token
from db.engine import read_with_retry
from db.models import User
from db.users import user_values

MAX_ENTRIES = 10_000

_generation = 0  # bumped whenever a user changes in this process
_lock = threading.Lock()


def users_changed() -> None:
    """Forget every cached user of this process (called on commits that touch users)."""
    global _generation
    with _lock:
        _generation += 1


class UserCache:
    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._rows: dict[str, tuple[float, int, dict[str, Any]]] = {}
        self._tokens: dict[str, Claims] = {}  # token -> its checked claims

    def claims(self, token: str, secret: str) -> Claims | None:
        """The claims of a valid, unexpired token. A token whose signature was checked once
        is remembered (the exact string, with its claims), so its signature is not checked on
        every request; the expiry still is."""
        hit = self._tokens.get(token)
        if hit is not None:
            return hit if time.time() < hit.expires else None
        checked = check_token(token, secret)
        if checked is None:
            return None
        if self.ttl > 0:
            if len(self._tokens) >= MAX_ENTRIES:
                self._tokens.clear()
            self._tokens[token] = checked
        return checked

    def cached(self, username: str) -> User | None:
        """The user from the cache when a fresh entry is there (no I/O), else None."""
        hit = self._rows.get(username)
        if hit is not None and time.monotonic() - hit[0] < self.ttl and hit[1] == _generation:
            return User(**hit[2])
        return None

    def get(self, engine: Engine, username: str) -> User | None:
        """The user named `username` (active or not), or None when there is no such user."""
        now = time.monotonic()
        hit = self._rows.get(username)
        if hit is not None and now - hit[0] < self.ttl and hit[1] == _generation:
            values = hit[2]
        else:
            generation = _generation  # read before the query: a change meanwhile makes it stale
            found = read_with_retry(engine, lambda conn: user_values(conn, username=username))
            if found is None:
                self._rows.pop(username, None)
                return None
            values = found
            if self.ttl > 0:
                if len(self._rows) >= MAX_ENTRIES:
                    self._rows.clear()
                self._rows[username] = (now, generation, values)
        return User(**values)

    def clear(self) -> None:
        self._rows.clear()
        self._tokens.clear()


# ---- invalidation: any ORM change of a User in this process -------------------------------


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(obj, User) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["users_changed"] = True
        users_changed()


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is User:
        state.session.info["users_changed"] = True
        users_changed()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("users_changed", False):
        users_changed()  # again after the commit: a read between flush and commit saw old rows


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("users_changed", None)
