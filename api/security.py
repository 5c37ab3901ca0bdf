"""Bearer tokens (JWT, HS256) for staff users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"


def create_token(username: str, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str | None:
    """The user name in a valid, unexpired token; None otherwise."""
    checked = check_token(token, secret)
    return checked[0] if checked else None


def check_token(token: str, secret: str) -> tuple[str, float] | None:
    """The user name and expiry time (Unix seconds) of a valid, unexpired token; else None."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    sub, exp = claims.get("sub"), claims.get("exp")
    if not isinstance(sub, str) or not isinstance(exp, int | float):
        return None
    return sub, float(exp)
