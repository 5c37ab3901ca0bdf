"""HMAC-SHA256 signatures on webhook bodies: header `X-Bank-Signature: sha256=<hex>`."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Bank-Signature"
PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The signature header value for `body`: "sha256=" + hex HMAC-SHA256 with `secret`."""
    if not secret:
        raise ValueError("a webhook secret is required to sign")
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """True when `header` is the signature of `body` with `secret` (constant-time compare)."""
    if not secret or not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())
