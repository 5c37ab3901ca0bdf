"""The keys that encrypt workflow payloads (`PAYLOAD_KEYS`): `id:base64` pairs, comma
separated, the current key first and at most one previous key after it (rotation: new
payloads are encrypted with the current key; both decrypt). Each key is 32 random bytes
(AES-256-GCM), e.g. `k2:$(openssl rand -base64 32)`."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

KEY_BYTES = 32
MAX_KEYS = 2  # the current key and the one before it
# A random 32-byte key has ~31 distinct byte values; 16 or fewer means a typed or padded key
MIN_DISTINCT_BYTES = 17
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Development and tests only: published here, so refused in production (core/settings.py).
DEV_PAYLOAD_KEYS = "dev-1:GF65ZZ062E7UnfOLmIPtQmIaOklrME7S8l2LoHPDKRs="


class PayloadKeyError(ValueError):
    """`PAYLOAD_KEYS` is malformed; the message says which key and why (never the key)."""


@dataclass(frozen=True, repr=False)
class PayloadKey:
    key_id: str
    secret: bytes

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"PayloadKey({self.key_id!r})"


def parse_payload_keys(text: str) -> tuple[PayloadKey, ...]:
    """The keys, current first; PayloadKeyError naming the first problem."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise PayloadKeyError("PAYLOAD_KEYS is empty: give id:base64 of 32 random bytes")
    if len(items) > MAX_KEYS:
        raise PayloadKeyError(
            f"PAYLOAD_KEYS has {len(items)} keys: give the current key and at most one previous"
        )
    keys = tuple(_parse_one(position, item) for position, item in enumerate(items, 1))
    if len({k.key_id for k in keys}) != len(keys):
        raise PayloadKeyError("PAYLOAD_KEYS names the same key ID twice")
    if len({k.secret for k in keys}) != len(keys):
        raise PayloadKeyError("PAYLOAD_KEYS has the same key under two IDs")
    return keys


def _parse_one(position: int, item: str) -> PayloadKey:
    key_id, sep, encoded = item.partition(":")
    if not sep or not _KEY_ID.fullmatch(key_id):
        raise PayloadKeyError(
            f"PAYLOAD_KEYS key {position}: write it as id:base64, the ID of letters, digits, "
            "'.', '_' or '-' (at most 64)"
        )
    try:
        secret = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(f"PAYLOAD_KEYS key {key_id!r} is not valid base64") from None
    if len(secret) != KEY_BYTES:
        raise PayloadKeyError(
            f"PAYLOAD_KEYS key {key_id!r} is {len(secret)} bytes: it must be {KEY_BYTES} "
            "random bytes"
        )
    if len(set(secret)) < MIN_DISTINCT_BYTES:
        raise PayloadKeyError(f"PAYLOAD_KEYS key {key_id!r} does not look random")
    return PayloadKey(key_id, secret)
