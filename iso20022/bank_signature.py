"""The bank's signature on everything it answers (pain.002 pushed or polled, camt.053):
HMAC-SHA256 over `<timestamp>.<body>` with the shared secret, the timestamp (the bank's
clock, Unix seconds) in its own header. A receiver checks the signature, that the timestamp
is within a window of its own clock, and (elsewhere: it needs the database) that the
message ID was never seen before."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

SIGNATURE = "X-Bank-Signature"
TIMESTAMP = "X-Bank-Timestamp"
PREFIX = "sha256="


class BadSignature(Exception):
    """A message that is not the bank's, or not fresh: never applied."""


def signature(body: bytes, secret: str, timestamp: str) -> str:
    if not secret:
        raise ValueError("a bank secret is required to sign")
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def signed_headers(body: bytes, secret: str, at: datetime) -> dict[str, str]:
    """The two headers the bank adds to `body` sent at `at` (its clock)."""
    timestamp = str(int(at.timestamp()))
    return {TIMESTAMP: timestamp, SIGNATURE: signature(body, secret, timestamp)}


def check(
    body: bytes, secret: str, headers: Mapping[str, str], now: datetime, window_seconds: float
) -> datetime:
    """The bank's timestamp when `headers` sign `body` within `window_seconds` of `now`;
    BadSignature (saying why) otherwise."""
    timestamp, given = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not secret or not timestamp or not given or not given.startswith(PREFIX):
        raise BadSignature("missing signature or timestamp")
    expected = signature(body, secret, timestamp.strip())
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise BadSignature("bad signature")
    try:
        at = datetime.fromtimestamp(int(timestamp.strip()), UTC)
    except (ValueError, OverflowError):
        raise BadSignature(f"bad timestamp {timestamp[:40]!r}") from None
    skew = abs((now - at).total_seconds())
    if skew > window_seconds:
        raise BadSignature(
            f"timestamp {at.isoformat()} is {skew:.0f} s from our clock {now.isoformat()}"
            f" (window {window_seconds:.0f} s): a replay or a wrong clock"
        )
    return at
