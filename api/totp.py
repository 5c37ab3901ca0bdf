"""The second factor (TOTP, RFC 6238, pyotp) of finance and supervisors.

After a right password such a user gives a six-digit code from their authenticator app; one
not yet enrolled is shown a new secret (and its otpauth:// URI) and enrols by giving a code it
produces. Between the two steps of the staff login page, a short-lived signed cookie (a JWT
with its own purpose) remembers who passed the password and, when enrolling, the new secret."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import pyotp

from api.security import ALGORITHM
from db.models import User

TOTP_ROLES = frozenset({"finance", "supervisor"})
ISSUER = "UI claims"
PENDING_SECONDS = 300
_PURPOSE = "totp-pending"


def needs_totp(user: User) -> bool:
    return bool(user.role_set & TOTP_ROLES)


def new_secret() -> str:
    return pyotp.random_base32()


def code_ok(secret: str, code: str) -> bool:
    """A code of now (or the 30 s step either side, for clock drift)."""
    code = code.strip().replace(" ", "")
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


@dataclass(frozen=True)
class Pending:
    username: str
    version: int
    enrol_secret: str | None  # set while enrolling: the secret shown to the user


def pending_token(pending: Pending, secret_key: str) -> str:
    now = int(time.time())
    claims = {
        "purpose": _PURPOSE,
        "sub": pending.username,
        "ver": pending.version,
        "enrol": pending.enrol_secret,
        "exp": now + PENDING_SECONDS,
    }
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def read_pending(token: str | None, secret_key: str) -> Pending | None:
    if not token:
        return None
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    sub, ver, enrol = claims.get("sub"), claims.get("ver"), claims.get("enrol")
    if claims.get("purpose") != _PURPOSE or not isinstance(sub, str) or not isinstance(ver, int):
        return None
    return Pending(sub, ver, enrol if isinstance(enrol, str) else None)
