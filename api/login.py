"""Checking a user name and password, for both doors (the API's token, the staff login page).

- Off the event loop: the user query and the Argon2 verification run on the sign-in thread
  pool (api/threads.py), so a burst of bad logins does not freeze the process.
- No user-name oracle: an unknown (or deactivated) user's password is verified against a dummy
  hash, so the answer takes as long as for a real user with a wrong password.
- Throttled (api/throttle.py): too many failures for an account or from an address answer 429
  with Retry-After before any hashing is done.
- Audited: every attempt (succeeded, failed, throttled) is one audit_log row."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from api.runtime import Runtime
from api.threads import in_login_thread
from core.passwords import hash_password, verify_password
from db.engine import session_scope
from db.models import AuditEntry, User

# verified instead of a real hash when the user is unknown: the same Argon2 parameters
DUMMY_HASH = hash_password(secrets.token_urlsafe(24))


@dataclass(frozen=True)
class Attempt:
    """What a sign-in came to: a user, or a refusal (throttled: retry after so many seconds)."""

    user: User | None = None
    retry_after: int | None = None


def audit_login(
    engine: Engine, action: str, username: str, ip: str, data: dict[str, Any] | None = None
) -> None:
    """One audit_log row about a sign-in attempt (its own transaction)."""
    with session_scope(engine) as session:
        session.add(
            AuditEntry(
                key=f"login:{uuid.uuid4().hex}",
                at=datetime.now(UTC),
                actor=username[:64] or "-",
                action=action,
                entity_type="user",
                entity_id=username[:96] or "-",
                data={"ip": ip, **(data or {})},
            )
        )


def check_password(engine: Engine, username: str, password: str) -> User | None:
    """The active user `username` if `password` is theirs, else None; the same work either way."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
    known = user is not None and user.active
    ok = verify_password(user.password_hash if user is not None and known else DUMMY_HASH, password)
    return user if known and ok else None


def _sign_in(runtime: Runtime, username: str, password: str, ip: str) -> Attempt:
    throttle = runtime.throttle
    wait = throttle.retry_after(username, ip)
    if wait is not None:
        audit_login(runtime.engine, "login_throttled", username, ip, {"retry_after": wait})
        return Attempt(retry_after=wait)
    user = check_password(runtime.engine, username, password)
    if user is None:
        throttle.failed(username, ip)
        audit_login(runtime.engine, "login_failed", username, ip)
        return Attempt()
    throttle.succeeded(username)
    audit_login(runtime.engine, "login_succeeded", username, ip)
    return Attempt(user=user)


async def sign_in(runtime: Runtime, username: str, password: str, ip: str) -> Attempt:
    """Check a sign-in on the sign-in thread pool (never on the event loop)."""
    return await in_login_thread(_sign_in, runtime, username.strip(), password, ip)
