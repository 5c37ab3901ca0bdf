"""Encrypted workflow payloads: an AES-256-GCM payload codec under the project's payload
converter, and the failure converter that moves failure messages and stack traces into an
(encrypted) payload, so Temporal's server, its database and its Web UI hold no personal data
in clear.

Each payload is serialized whole (its metadata and data), encrypted with a random 96-bit
nonce, and stored as `nonce || ciphertext+tag` under the encoding `binary/encrypted` with the
key's ID in `encryption-key-id`; the key ID is authenticated too. New payloads use the current
key; decoding accepts the current and the previous key (core/payload_keys.py). A payload
without the encrypted encoding passes through decode unchanged: histories recorded before the
codec (tests/histories/) still replay."""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from core.payload_keys import PayloadKey, parse_payload_keys
from core.temporal import PayloadConverter

ENCODING = b"binary/encrypted"
KEY_ID_HEADER = "encryption-key-id"
NONCE_BYTES = 12  # 96 bits, GCM's own size
_AAD = b"ui-claims payload v1 key:"


class PayloadDecryptionError(ValueError):
    """An encrypted payload that no accepted key opens: tampered, truncated, or a key that is
    no longer (or not yet) configured. Never decoded to anything."""


class EncryptionCodec(PayloadCodec):
    """AES-GCM over whole payloads; `keys` current first (at most one previous)."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise ValueError("the codec needs at least one key")
        self.current = keys[0]
        self._ciphers = {k.key_id: AESGCM(k.secret) for k in keys}

    @classmethod
    def from_setting(cls, payload_keys: str) -> EncryptionCodec:
        return cls(parse_payload_keys(payload_keys))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.current.key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(key_id))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_HEADER: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # never encrypted (recorded before the codec, or a plain value)
        key_id = payload.metadata.get(KEY_ID_HEADER, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r}, which is not among the configured "
                f"PAYLOAD_KEYS ({', '.join(self._ciphers)})"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, _aad(key_id))
        except (InvalidTag, ValueError):
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} failed authentication (tampered or truncated)"
            ) from None
        return Payload.FromString(plain)


def _aad(key_id: str) -> bytes:
    return _AAD + key_id.encode()


def encrypted_converter(codec: EncryptionCodec) -> DataConverter:
    """The project's payload converter (process-wide type adapters, core/temporal.py) with the
    codec underneath it, and failure messages and stack traces encoded into the payload."""
    return DataConverter(
        payload_converter_class=PayloadConverter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(payload_keys: str) -> DataConverter:
    """What every client, worker, test environment and replayer of the system uses."""
    return encrypted_converter(EncryptionCodec.from_setting(payload_keys))
