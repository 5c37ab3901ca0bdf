"""Temporal's remote codec protocol, for its Web UI: POST `.../decode` and `.../encode` with
`{"payloads": [...]}` (Payloads in protobuf JSON) and the `X-Namespace` header.

Supervisors of every region only (a bearer token, or the staff session cookie the browser
sends with the UI's credentialed requests), for decoding and encoding alike: the UI shows every
workflow of every region (cases, payment runs with their accounts), so decoding is reading all
case data, which is the supervisors' (system errors, stuck cases); clerks, reviewers and
finance read cases through the pages, scoped to their regions and groups; the admin manages
users, regions, calendars and policy files and reads no case data (domain/access.py). Each
decode is audited (who, how many payloads), each refusal too (api/access.py). Served at
/api/v1/codec and, for browsers signed in to the staff pages (their cookie is scoped to
/staff), at /staff/codec."""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from api.deps import STAFF, RuntimeDep, authenticate, oauth2
from api.errors import field_error
from api.pages.web import SESSION_COOKIE
from api.runtime import Runtime
from api.services.tasks import audit
from core.codec import EncryptionCodec, PayloadDecryptionError
from db.engine import session_scope
from db.models import User
from domain.access import may_use_codec

router = APIRouter(prefix="/codec", tags=["codec"], responses=STAFF)

MAX_PAYLOADS = 10_000  # a history page's worth, with room


class CodecPayload(BaseModel):
    """One Payload in protobuf JSON: metadata values and data are base64."""

    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class CodecPayloads(BaseModel):
    payloads: list[CodecPayload] = Field(max_length=MAX_PAYLOADS)


async def codec_user(
    request: Request, runtime: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]
) -> User:
    """The signed-in staff user: bearer token first, else the staff session cookie."""
    user = await authenticate(runtime, token or request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return user


async def codec_reader(user: Annotated[User, Depends(codec_user)]) -> User:
    """A supervisor of every region: the one who may read any case's data (a 403 is audited)."""
    if not may_use_codec(user.role_set, user.regions):
        raise HTTPException(403, "the codec is for supervisors of every region")
    return user


CodecUser = Annotated[User, Depends(codec_reader)]
Namespace = Annotated[str, Header(alias="X-Namespace")]


@router.post("/decode", response_model=CodecPayloads)
async def decode(
    body: CodecPayloads, namespace: Namespace, user: CodecUser, runtime: RuntimeDep
) -> CodecPayloads:
    """Decrypt payloads for display (audited: who, how many)."""
    codec = _codec(runtime, namespace)
    payloads = _from_json(body)
    try:
        decoded = await codec.decode(payloads)
    except PayloadDecryptionError as err:
        raise field_error(["body", "payloads"], str(err)) from None
    encrypted = sum(1 for p, d in zip(payloads, decoded, strict=True) if p is not d)
    await _audit(runtime, user, "payloads_decoded", namespace, len(payloads), encrypted)
    return _to_json(decoded)


@router.post("/encode", response_model=CodecPayloads)
async def encode(
    body: CodecPayloads, namespace: Namespace, user: CodecUser, runtime: RuntimeDep
) -> CodecPayloads:
    """Encrypt payloads (for a query's arguments from the UI; its write actions are off)."""
    codec = _codec(runtime, namespace)
    payloads = _from_json(body)
    encoded = await codec.encode(payloads)
    await _audit(runtime, user, "payloads_encoded", namespace, len(payloads), len(encoded))
    return _to_json(encoded)


def _codec(runtime: Runtime, namespace: str) -> EncryptionCodec:
    served = runtime.settings.temporal_namespace
    if namespace != served:
        raise HTTPException(403, f"this codec serves namespace {served} only")
    codec = runtime.temporal.converter.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec


def _from_json(body: CodecPayloads) -> list[Payload]:
    out = []
    for i, p in enumerate(body.payloads):
        try:
            out.append(
                Payload(
                    metadata={k: _b64(v) for k, v in p.metadata.items()},
                    data=_b64(p.data),
                )
            )
        except (binascii.Error, ValueError):
            raise field_error(["body", "payloads", i], "metadata and data must be base64") from None
    return out


def _b64(text: str) -> bytes:
    # protobuf JSON writes padded standard base64, and accepts URL-safe and unpadded too
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _to_json(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(
        payloads=[
            CodecPayload(
                metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                data=base64.b64encode(p.data).decode(),
            )
            for p in payloads
        ]
    )


async def _audit(
    runtime: Runtime, user: User, action: str, namespace: str, payloads: int, encrypted: int
) -> None:
    client = await runtime.temporal.client() if runtime.clock.simulated else None
    at: datetime = await runtime.clock.now(client)

    def write() -> None:
        with session_scope(runtime.engine) as session:
            audit(
                session,
                actor=user.username,
                action=action,
                entity_type="namespace",
                entity_id=namespace,
                at=at,
                data={"payloads": payloads, "encrypted": encrypted},
            )

    await asyncio.to_thread(write)
