"""Checking a user name and password, for both doors (the API's token, the staff login page).

- Off the event loop: the user query and the Argon2 verification run on the sign-in thread
  pool (api/threads.py), so a burst of bad logins does not freeze the process.
- No user-name oracle: an unknown (or deactivated) user's password is verified against a dummy
  hash, so the answer takes as long as for a real user with a wrong password.
- Throttled (api/throttle.py): too many failures for an account or from an address answer 429
  with Retry-After before any hashing is done.
- Audited: every attempt (succeeded, failed, throttled) is one audit_log row.
- Finance and supervisors give a TOTP code too (api/totp.py); demo users are refused in
  production even when present in the database."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from api.runtime import Runtime
from api.threads import in_login_thread
from api.totp import Pending, code_ok, needs_totp, new_secret
from core.passwords import hash_password, verify_password
from db import audit
from db.engine import session_scope
from db.models import User
from db.seed import DEMO_USERNAMES
from db.users import find_user

# verified instead of a real hash when the user is unknown: the same Argon2 parameters
DUMMY_HASH = hash_password(secrets.token_urlsafe(24))


@dataclass(frozen=True)
class Attempt:
    """What a sign-in came to: a user; or a right password that still needs a TOTP code
    (`pending`: enrolment when its `enrol_secret` is set); or a refusal (throttled: retry after
    so many seconds)."""

    user: User | None = None
    retry_after: int | None = None
    pending: Pending | None = None


def audit_login(
    engine: Engine, action: str, username: str, ip: str, data: dict[str, Any] | None = None
) -> None:
    """One audit_log row about a sign-in attempt (its own transaction)."""
    with session_scope(engine) as session:
        audit.write(
            session,
            key=f"login:{uuid.uuid4().hex}",
            at=datetime.now(UTC),
            actor=username[:64] or "-",
            action=action,
            entity_type="user",
            entity_id=username[:96] or "-",
            data={"ip": ip, **(data or {})},
        )


def check_password(engine: Engine, username: str, password: str) -> User | None:
    """The active user `username` if `password` is theirs, else None; the same work either way."""
    with session_scope(engine) as session:
        user = find_user(session, username=username)
    known = user is not None and user.active
    ok = verify_password(user.password_hash if user is not None and known else DUMMY_HASH, password)
    return user if known and ok else None


def _throttled(runtime: Runtime, username: str, ip: str) -> Attempt | None:
    wait = runtime.throttle.retry_after(username, ip)
    if wait is None:
        return None
    audit_login(runtime.engine, "login_throttled", username, ip, {"retry_after": wait})
    return Attempt(retry_after=wait)


def _failed(runtime: Runtime, username: str, ip: str, why: str) -> Attempt:
    runtime.throttle.failed(username, ip)
    audit_login(runtime.engine, "login_failed", username, ip, {"why": why})
    return Attempt()


def _succeeded(runtime: Runtime, user: User, ip: str) -> Attempt:
    runtime.throttle.succeeded(user.username)
    audit_login(runtime.engine, "login_succeeded", user.username, ip)
    return Attempt(user=user)


def _sign_in(runtime: Runtime, username: str, password: str, ip: str, otp: str | None) -> Attempt:
    throttled = _throttled(runtime, username, ip)
    if throttled is not None:
        return throttled
    user = check_password(runtime.engine, username, password)
    if user is None:
        return _failed(runtime, username, ip, "password")
    if runtime.settings.app_env == "production" and username in DEMO_USERNAMES:
        return _failed(runtime, username, ip, "demo user in production")
    if needs_totp(user):
        if user.totp_secret is None or not otp:
            enrol = new_secret() if user.totp_secret is None else None
            return Attempt(pending=Pending(user.username, user.token_version, enrol))
        if not code_ok(user.totp_secret, otp):
            return _failed(runtime, username, ip, "totp")
    return _succeeded(runtime, user, ip)


def _second_step(runtime: Runtime, pending: Pending, code: str, ip: str) -> Attempt:
    """The TOTP step after a right password (and the enrolment of a new secret)."""
    throttled = _throttled(runtime, pending.username, ip)
    if throttled is not None:
        return throttled
    with session_scope(runtime.engine) as session:
        user = find_user(session, username=pending.username)
        if user is None or not user.active or user.token_version != pending.version:
            return _failed(runtime, pending.username, ip, "stale sign-in")
        secret = pending.enrol_secret or user.totp_secret
        if secret is None or not code_ok(secret, code):
            return _failed(runtime, pending.username, ip, "totp")
        if pending.enrol_secret is not None:
            user.totp_secret = pending.enrol_secret  # bumps the token version (db/models.py)
            session.add(user)
    if pending.enrol_secret is not None:
        audit_login(runtime.engine, "totp_enrolled", user.username, ip)
    return _succeeded(runtime, user, ip)


async def sign_in(
    runtime: Runtime, username: str, password: str, ip: str, otp: str | None = None
) -> Attempt:
    """Check a sign-in on the sign-in thread pool (never on the event loop)."""
    return await in_login_thread(_sign_in, runtime, username.strip(), password, ip, otp)


async def second_step(runtime: Runtime, pending: Pending, code: str, ip: str) -> Attempt:
    return await in_login_thread(_second_step, runtime, pending, code, ip)
