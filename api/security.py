"""Bearer tokens (JWT, HS256) for staff users.

A token names its user, the user's token version when it was issued (`ver`: bumped by a
logout, a password change or a deactivation, which revokes every earlier token at once), its
expiry, and the time of the session's last activity (`act`: the staff pages re-issue their
cookie as the user works; a token idle longer than IDLE_MINUTES is refused)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Claims:
    username: str
    version: int
    expires: float  # Unix seconds
    active_at: float  # Unix seconds: issue time, or the last refresh of a page session
    session_id: str = ""  # kept by a refresh (the staff pages' CSRF tokens derive from it)


def create_token(
    username: str,
    secret: str,
    minutes: int,
    version: int = 0,
    *,
    expires: float | None = None,
    session_id: str | None = None,
) -> str:
    """A token for `username` (at token version `version`), valid `minutes` (or until the
    Unix time `expires`, for a refreshed session that keeps its original end)."""
    now = int(time.time())
    claims = {
        "sub": username,
        "ver": version,
        "iat": now,
        "act": now,
        "sid": session_id or secrets.token_urlsafe(16),
        "exp": int(expires) if expires is not None else now + minutes * 60,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str | None:
    """The user name in a valid, unexpired token; None otherwise."""
    checked = check_token(token, secret)
    return checked.username if checked else None


def check_token(token: str, secret: str) -> Claims | None:
    """The claims of a valid (signed, unexpired) token; else None. Idleness is the caller's."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    if "purpose" in claims:  # another kind of token (api/totp.py's pending sign-in)
        return None
    sub, exp = claims.get("sub"), claims.get("exp")
    ver, act = claims.get("ver", 0), claims.get("act", claims.get("iat"))
    if not isinstance(sub, str) or not isinstance(exp, int | float) or not isinstance(ver, int):
        return None
    sid = claims.get("sid", "")
    if not isinstance(act, int | float) or not isinstance(sid, str):
        return None
    return Claims(sub, ver, float(exp), float(act), sid)
