"""The payload codec: AES-GCM with a fresh nonce, the key ID in the metadata, rotation over two
keys, tampering refused, plain payloads passed through, failure details encrypted."""

from __future__ import annotations

import base64
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from core.codec import (
    ENCODING,
    KEY_ID_HEADER,
    EncryptionCodec,
    PayloadDecryptionError,
    data_converter,
)
from core.payload_keys import DEV_PAYLOAD_KEYS, PayloadKey, PayloadKeyError, parse_payload_keys
from core.settings import Settings
from core.temporal import PLAIN_CONVERTER, PayloadConverter

NID = "220102197103090025"  # only in this test's payloads


def _key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _plain(value: object) -> Payload:
    return PLAIN_CONVERTER.payload_converter.to_payloads([value])[0]


async def test_payloads_are_encrypted_with_a_fresh_nonce_and_the_key_id() -> None:
    codec = EncryptionCodec.from_setting(_key("k1"))
    plain = _plain({"national_id": NID})
    first, second = await codec.encode([plain, plain])
    assert first.metadata["encoding"] == ENCODING == b"binary/encrypted"
    assert first.metadata[KEY_ID_HEADER] == b"k1"
    assert NID.encode() not in first.SerializeToString()
    assert first.data[:12] != second.data[:12] and first.data != second.data  # nonces differ
    assert await codec.decode([first, second]) == [plain, plain]


async def test_payloads_without_the_encrypted_encoding_pass_through_decode() -> None:
    codec = EncryptionCodec.from_setting(_key("k1"))
    plain = _plain({"recorded": "before the codec"})
    [out] = await codec.decode([plain])
    assert out is plain


async def test_rotation_old_key_still_decrypts_and_new_payloads_use_the_new_key() -> None:
    k1, k2 = _key("k1"), _key("k2")
    before = EncryptionCodec.from_setting(k1)
    rotated = EncryptionCodec.from_setting(f"{k2},{k1}")
    old = (await before.encode([_plain("recorded under k1")]))[0]
    new = (await rotated.encode([_plain("written after rotation")]))[0]
    assert new.metadata[KEY_ID_HEADER] == b"k2"
    assert await rotated.decode([old, new]) == [
        _plain("recorded under k1"),
        _plain("written after rotation"),
    ]
    with pytest.raises(PayloadDecryptionError, match="'k2'"):
        await before.decode([new])  # a worker not yet given k2
    retired = EncryptionCodec.from_setting(k2)  # k1 dropped after re-encryption or expiry
    with pytest.raises(PayloadDecryptionError, match="'k1'"):
        await retired.decode([old])


async def test_a_tampered_truncated_or_relabelled_payload_fails() -> None:
    k1, k2 = _key("k1"), _key("k2")
    codec = EncryptionCodec.from_setting(f"{k1},{k2}")
    [sealed] = await codec.encode([_plain({"amount": "755.00"})])

    flipped = Payload()
    flipped.CopyFrom(sealed)
    flipped.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    truncated = Payload()
    truncated.CopyFrom(sealed)
    truncated.data = sealed.data[:20]
    relabelled = Payload()  # the key ID is authenticated too
    relabelled.CopyFrom(sealed)
    relabelled.metadata[KEY_ID_HEADER] = b"k2"
    for bad in (flipped, truncated, relabelled):
        with pytest.raises(PayloadDecryptionError, match="failed authentication"):
            await codec.decode([bad])


async def test_failure_messages_and_stack_traces_are_inside_the_encrypted_payload() -> None:
    converter = data_converter(_key("k1"))
    failure = Failure()
    try:
        raise ApplicationError(f"account of {NID} refused", {"national_id": NID})
    except ApplicationError as err:
        await converter.encode_failure(err, failure)
    assert NID.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure" and failure.stack_trace == ""
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    back = await converter.decode_failure(failure)
    assert str(back) == f"account of {NID} refused"


def test_the_encrypted_converter_keeps_the_process_wide_type_adapters() -> None:
    """core/temporal.py's converter (its adapters built once per process) stays underneath."""
    converter = data_converter(DEV_PAYLOAD_KEYS)
    assert converter.payload_converter_class is PayloadConverter
    assert isinstance(converter.payload_codec, EncryptionCodec)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "empty"),
        ("k1", "id:base64"),
        ("k 1:" + base64.b64encode(os.urandom(32)).decode(), "id:base64"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(os.urandom(16)).decode(), "16 bytes"),
        ("k1:" + base64.b64encode(b"a" * 32).decode(), "does not look random"),
        (f"{_key('k1')},{_key('k2')},{_key('k3')}", "at most one previous"),
        (f"{_key('k1')},{_key('k1')}", "same key ID twice"),
    ],
    # fixed ids, not the random keys: pytest-xdist's workers must collect the same test names
    ids=[
        "empty",
        "no-colon",
        "space-in-id",
        "not-base64",
        "16-bytes",
        "not-random",
        "three-keys",
        "same-id-twice",
    ],
)
def test_malformed_payload_keys_are_refused_naming_the_problem(setting: str, message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message):
        parse_payload_keys(setting)
    with pytest.raises(ValueError, match=message):
        Settings(app_env="test", payload_keys=setting)


def test_a_key_never_shows_in_its_repr() -> None:
    key = parse_payload_keys(_key("k1"))[0]
    assert repr(key) == "PayloadKey('k1')" and isinstance(key, PayloadKey)


def test_production_refuses_the_development_payload_key_current_or_previous() -> None:
    secrets = {
        "app_env": "production",
        "secret_key": "s" * 40,
        "case_id_key": "c" * 40,
        "bank_webhook_secret": "w" * 40,
        "medagency_webhook_secret": "m" * 40,
        "bank_url": "https://bank.example.cn",  # production refuses plain http
    }
    with pytest.raises(ValueError, match="PAYLOAD_KEYS"):
        Settings(**secrets)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="PAYLOAD_KEYS"):
        Settings(**secrets, payload_keys=f"{_key('k2')},{DEV_PAYLOAD_KEYS}")  # type: ignore[arg-type]
    own = Settings(**secrets, payload_keys=_key("k1"))  # type: ignore[arg-type]
    assert own.payload_keys.startswith("k1:")


def test_development_and_tests_use_the_development_key_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAYLOAD_KEYS", raising=False)
    assert Settings(app_env="test").payload_keys == DEV_PAYLOAD_KEYS
