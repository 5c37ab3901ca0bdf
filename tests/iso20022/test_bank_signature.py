"""The bank's signature on every answer (issue 13 §5): HMAC-SHA256 over `<timestamp>.<body>`,
the bank's timestamp within ±5 minutes of our clock."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from iso20022.bank_signature import SIGNATURE, TIMESTAMP, BadSignature, check, signed_headers

BODY = "<Document>代发</Document>".encode()
AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
WINDOW = 300


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    headers = signed_headers(BODY, "s3cret", AT)
    assert headers[TIMESTAMP] == str(int(AT.timestamp()))
    mac = hmac.new(b"s3cret", headers[TIMESTAMP].encode() + b"." + BODY, hashlib.sha256)
    assert headers[SIGNATURE] == "sha256=" + mac.hexdigest()
    assert check(BODY, "s3cret", headers, AT + timedelta(seconds=299), WINDOW) == AT
    assert check(BODY, "s3cret", headers, AT - timedelta(seconds=299), WINDOW) == AT


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {},
        lambda h: {SIGNATURE: h[SIGNATURE]},  # no timestamp
        lambda h: {TIMESTAMP: h[TIMESTAMP]},  # no signature
        lambda h: {**h, TIMESTAMP: str(int(h[TIMESTAMP]) + 1)},  # a new time, the old MAC
        lambda h: {**h, SIGNATURE: "sha256=" + "0" * 64},
        lambda h: {**h, TIMESTAMP: "soon"},
    ],
)
def test_a_missing_or_altered_signature_or_timestamp_is_refused(tamper: object) -> None:
    headers = tamper(signed_headers(BODY, "s3cret", AT))  # type: ignore[operator]
    with pytest.raises(BadSignature):
        check(BODY, "s3cret", headers, AT, WINDOW)


def test_another_secret_or_another_body_is_refused() -> None:
    headers = signed_headers(BODY, "s3cret", AT)
    with pytest.raises(BadSignature, match="bad signature"):
        check(BODY, "other", headers, AT, WINDOW)
    with pytest.raises(BadSignature, match="bad signature"):
        check(BODY + b" ", "s3cret", headers, AT, WINDOW)


@pytest.mark.parametrize(
    "skew", [timedelta(seconds=301), -timedelta(seconds=301), timedelta(days=1)]
)
def test_a_timestamp_outside_five_minutes_of_our_clock_is_refused(skew: timedelta) -> None:
    headers = signed_headers(BODY, "s3cret", AT)
    with pytest.raises(BadSignature, match="window"):
        check(BODY, "s3cret", headers, AT + skew, WINDOW)
