"""Webhook signatures: HMAC-SHA256 of the body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from iso20022 import sign, verify

BODY = b"<Document>...</Document>"


def test_signature_is_hmac_sha256_hex_with_prefix() -> None:
    expected = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, "s3cret") == f"sha256={expected}"


def test_verify_accepts_the_right_signature() -> None:
    assert verify(BODY, "s3cret", sign(BODY, "s3cret"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        sign(BODY, "other-secret"),
        sign(BODY + b" ", "s3cret"),
        sign(BODY, "s3cret").removeprefix("sha256="),
        "sha256=" + "0" * 64,
        "sha1=" + hashlib.sha1(BODY).hexdigest(),
    ],
)
def test_verify_refuses(header: str | None) -> None:
    assert not verify(BODY, "s3cret", header)


def test_no_secret_never_verifies_and_never_signs() -> None:
    assert not verify(BODY, "", sign(BODY, "s3cret"))
    with pytest.raises(ValueError):
        sign(BODY, "")
