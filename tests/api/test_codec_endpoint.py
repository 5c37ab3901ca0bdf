"""The codec endpoint for the Temporal Web UI (Temporal's remote codec protocol): supervisors of
every region only (the UI shows every region's workflows), decode audited, refusals audited, one
namespace, CORS for the UI's origin alone."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import Payload

from api.main import create_app
from core.codec import EncryptionCodec
from core.settings import Settings
from core.temporal import PLAIN_CONVERTER
from db.engine import session_scope
from db.models import AuditEntry, User
from db.seed import DEMO_TOTP_SECRET
from domain.access import may_use_codec
from tests.pages.helpers import page_login
from tests.security.test_object_access import _user
from tests.utils.api import login
from tests.utils.temporal import CONVERTER

UI = "http://temporal-ui.test:8233"
NID = "220102196807210034"
DECODE, ENCODE = "/api/v1/codec/decode", "/api/v1/codec/encode"
NS = {"X-Namespace": "default"}


@pytest.fixture
async def codec_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the real clock (the codec needs no Temporal server) with the UI's origin."""
    app = create_app(settings.model_copy(update={"clock": "real", "temporal_ui_origin": UI}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def _json(payloads: list[Payload]) -> dict[str, Any]:
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                "data": base64.b64encode(p.data).decode(),
            }
            for p in payloads
        ]
    }


def _payloads(body: dict[str, Any]) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p["metadata"].items()},
            data=base64.b64decode(p["data"]),
        )
        for p in body["payloads"]
    ]


async def _sealed(*values: object) -> list[Payload]:
    codec = CONVERTER.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return await codec.encode(PLAIN_CONVERTER.payload_converter.to_payloads(list(values)))


def _decoded_audits(engine: Engine, actor: str) -> list[AuditEntry]:
    with Session(engine) as session:
        stmt = select(AuditEntry).where(
            AuditEntry.action == "payloads_decoded", AuditEntry.actor == actor
        )
        return list(session.exec(stmt.order_by(col(AuditEntry.id))).all())


async def test_supervisor_decodes_with_a_bearer_token_and_each_decode_is_audited(
    codec_api: httpx.AsyncClient, engine: Engine
) -> None:
    sealed = await _sealed({"national_id": NID}, "plain text")
    plain = PLAIN_CONVERTER.payload_converter.to_payloads(["never encrypted"])
    body = _json([*sealed, *plain])
    assert NID not in str(body)
    anonymous = await codec_api.post(DECODE, json=body, headers=NS)
    assert anonymous.status_code == 401

    before = len(_decoded_audits(engine, "supervisor"))
    h = {**await login(codec_api, "supervisor"), **NS}
    resp = await codec_api.post(DECODE, json=body, headers=h)
    assert resp.status_code == 200, resp.text
    decoded = _payloads(resp.json())
    values = PLAIN_CONVERTER.payload_converter.from_payloads(decoded)
    assert values == [{"national_id": NID}, "plain text", "never encrypted"]
    audits = _decoded_audits(engine, "supervisor")
    assert len(audits) == before + 1
    assert audits[-1].data == {"payloads": 3, "encrypted": 2}
    assert audits[-1].entity_type == "namespace" and audits[-1].entity_id == "default"


async def test_the_ui_decodes_with_the_staff_session_cookie_under_staff_codec(
    codec_api: httpx.AsyncClient,
) -> None:
    body = _json(await _sealed({"national_id": NID}))
    assert (await codec_api.post("/staff/codec/decode", json=body, headers=NS)).status_code == 401
    await page_login(codec_api, "supervisor")  # the cookie is scoped to /staff
    simple = await codec_api.post(  # a cross-site form or text post (no CORS preflight)
        "/staff/codec/decode",
        content=json.dumps(body),
        headers={**NS, "Content-Type": "text/plain"},
    )
    assert simple.status_code == 422
    resp = await codec_api.post("/staff/codec/decode", json=body, headers=NS)
    assert resp.status_code == 200, resp.text
    assert PLAIN_CONVERTER.payload_converter.from_payloads(_payloads(resp.json())) == [
        {"national_id": NID}
    ]


async def test_the_other_roles_and_a_region_scoped_supervisor_are_refused_and_audited(
    codec_api: httpx.AsyncClient, engine: Engine
) -> None:
    """The admin reads no case data; clerks, reviewers and finance read cases of their regions
    and groups through the pages, never the UI's view of every workflow; a supervisor of one
    region neither (the UI shows every region's)."""
    body = _json(await _sealed({"national_id": NID}))
    for who in ("admin", "clerk", "reviewer", "finance"):
        h = {**await login(codec_api, who), **NS}
        for path in (DECODE, ENCODE):
            resp = await codec_api.post(path, json=body, headers=h)
            assert resp.status_code == 403, (who, path, resp.text)
            assert NID not in resp.text
        assert not _decoded_audits(engine, who)
        with Session(engine) as session:
            refused = session.exec(
                select(AuditEntry).where(
                    AuditEntry.action == "access_refused",
                    AuditEntry.actor == who,
                    AuditEntry.entity_id == DECODE,
                )
            ).all()
        assert refused, who
    form = _user(engine, "supervisor", regions="330100")
    with session_scope(engine) as session:  # supervisors sign in with a second factor
        user = session.exec(select(User).where(User.username == form["username"])).one()
        user.totp_secret = DEMO_TOTP_SECRET
    form["otp"] = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    token = (await codec_api.post("/api/v1/auth/token", data=form)).json()["access_token"]
    scoped = {"Authorization": f"Bearer {token}", **NS}
    assert (await codec_api.post(DECODE, json=body, headers=scoped)).status_code == 403
    assert not may_use_codec({"supervisor"}, "330100") and may_use_codec({"supervisor"}, "*")
    assert not may_use_codec({"admin", "finance", "clerk", "reviewer"}, "*")


async def test_supervisors_encode_and_the_payloads_decrypt_with_the_workers_codec(
    codec_api: httpx.AsyncClient,
) -> None:
    body = _json(PLAIN_CONVERTER.payload_converter.to_payloads([{"national_id": NID}]))
    supervisor = {**await login(codec_api, "supervisor"), **NS}
    resp = await codec_api.post(ENCODE, json=body, headers=supervisor)
    assert resp.status_code == 200, resp.text
    [sealed] = _payloads(resp.json())
    assert sealed.metadata["encoding"] == b"binary/encrypted" and NID.encode() not in sealed.data
    codec = CONVERTER.payload_codec
    assert codec is not None
    [opened] = await codec.decode([sealed])
    assert PLAIN_CONVERTER.payload_converter.from_payloads([opened]) == [{"national_id": NID}]


async def test_bad_requests_are_refused_naming_what_is_wrong(codec_api: httpx.AsyncClient) -> None:
    h = await login(codec_api, "supervisor")
    [sealed] = await _sealed({"national_id": NID})
    body = _json([sealed])

    no_namespace = await codec_api.post(DECODE, json=body, headers=h)
    assert no_namespace.status_code == 422
    assert no_namespace.json()["detail"][0]["loc"] == ["header", "X-Namespace"]
    other = await codec_api.post(DECODE, json=body, headers={**h, "X-Namespace": "other"})
    assert other.status_code == 403

    tampered = Payload()
    tampered.CopyFrom(sealed)
    tampered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    refused = await codec_api.post(DECODE, json=_json([tampered]), headers={**h, **NS})
    assert refused.status_code == 422, refused.text
    assert "failed authentication" in refused.text and NID not in refused.text

    not_base64 = {"payloads": [{"metadata": {"encoding": "!!"}, "data": ""}]}
    bad = await codec_api.post(DECODE, json=not_base64, headers={**h, **NS})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "payloads", 0]


async def test_cors_lets_the_ui_origin_call_the_codec_with_credentials_and_nothing_else(
    codec_api: httpx.AsyncClient,
) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    for path in (DECODE, "/staff/codec/decode"):
        ok = await codec_api.options(path, headers=preflight)
        assert ok.status_code == 200, ok.text
        assert ok.headers["access-control-allow-origin"] == UI
        assert ok.headers["access-control-allow-credentials"] == "true"
    stranger = await codec_api.options(DECODE, headers={**preflight, "Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in stranger.headers
    elsewhere = await codec_api.get("/api/v1/health", headers={"Origin": UI})
    assert "access-control-allow-origin" not in elsewhere.headers
