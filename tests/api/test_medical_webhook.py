"""The medical-insurance agency's answer webhook (issue 12 "Bad input"): a bad signature, or an
answer naming a batch, line or person we did not declare, is refused with a clear error and
nothing is kept or applied; a good answer is kept on its batch for the declaration to apply."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.settings import Settings
from db.medical import MedicalDeclaration, MedicalDeclarationLine
from iso20022.signing import sign
from medagency.protocol import SIGNATURE_HEADER

URL = "/api/v1/medical/webhook"


@pytest.fixture
def declared(engine: Engine) -> MedicalDeclaration:
    """A batch of two lines sent to the agency and awaiting its answer."""
    key = f"220100-202611-{uuid.uuid4().hex[:6]}"
    at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    batch = MedicalDeclaration(
        batch_key=key,
        region_code="220100",
        month=date(2026, 11, 1),
        workflow_id=f"medical-declaration-{key}",
        status="declared",
        line_count=2,
        premium_total=Decimal("714.00"),
        created_at=at,
        declared_at=at,
    )
    with Session(engine) as session:
        session.add(batch)
        for i in (1, 2):
            session.add(
                MedicalDeclarationLine(
                    line_id=f"{key}-{i}",
                    batch_key=key,
                    case_id=f"{key[-6:]}case{i}",
                    region_code="220100",
                    person_ref=f"person-{i}",
                    action="enrol",
                    month=date(2026, 11, 1),
                    premium=Decimal("357.00"),
                )
            )
        session.commit()
        session.refresh(batch)
    return batch


def _answer(batch: MedicalDeclaration, **change: Any) -> dict[str, Any]:
    lines = [
        {"line_id": f"{batch.batch_key}-{i}", "person_ref": f"person-{i}", "result": "accepted"}
        for i in (1, 2)
    ]
    body: dict[str, Any] = {
        "batch_key": batch.batch_key,
        "region_code": "220100",
        "month": "2026-11",
        "status": "answered",
        "answered_at": "2026-11-20T03:00:00Z",
        "lines": lines,
    }
    body.update(change)
    return body


async def _post(
    api: httpx.AsyncClient, body: dict[str, Any] | bytes, secret: str | None
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(raw, secret)
    return await api.post(URL, content=raw, headers=headers)


def _kept(engine: Engine, key: str) -> dict[str, Any] | None:
    with Session(engine) as session:
        row = session.get(MedicalDeclaration, key)
        assert row is not None
        return row.answer


async def test_a_bad_or_missing_signature_is_refused_and_nothing_kept(
    api: httpx.AsyncClient, declared: MedicalDeclaration, engine: Engine
) -> None:
    body = _answer(declared)
    assert (await _post(api, body, None)).status_code == 401
    forged = await _post(api, body, "not-the-shared-secret")
    assert forged.status_code == 401 and "signature" in forged.json()["detail"]
    assert _kept(engine, declared.batch_key) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"batch_key": "220100-209901"}, "unknown batch key"),
        ({"region_code": "220200"}, "region"),
        (
            {"lines": [{"line_id": "nope", "person_ref": "person-1", "result": "accepted"}]},
            "unknown line",
        ),
        (
            {"lines": [{"line_id": "{key}-1", "person_ref": "someone", "result": "accepted"}]},
            "person",
        ),
        (
            {"lines": [{"line_id": "{key}-1", "person_ref": "person-1", "result": "accepted"}]},
            "unanswered",
        ),
        (
            {"lines": [{"line_id": "{key}-1", "person_ref": "person-1", "result": "lost"}]},
            "malformed",
        ),
        ({"answered_at": "yesterday"}, "malformed"),
    ],
)
async def test_an_answer_naming_what_we_did_not_declare_is_refused(
    api: httpx.AsyncClient,
    declared: MedicalDeclaration,
    engine: Engine,
    settings: Settings,
    change: dict[str, Any],
    says: str,
) -> None:
    change = json.loads(json.dumps(change).replace("{key}", declared.batch_key))
    resp = await _post(api, _answer(declared, **change), settings.medagency_webhook_secret)
    assert resp.status_code == 422, resp.text
    assert says in resp.json()["detail"]
    assert _kept(engine, declared.batch_key) is None


async def test_not_json_is_refused(
    api: httpx.AsyncClient, declared: MedicalDeclaration, settings: Settings
) -> None:
    resp = await _post(api, b"<Document/>", settings.medagency_webhook_secret)
    assert resp.status_code == 422 and "malformed answer" in resp.json()["detail"]


async def test_a_good_answer_is_kept_for_the_declaration_to_apply(
    api: httpx.AsyncClient, declared: MedicalDeclaration, engine: Engine, settings: Settings
) -> None:
    """Kept as verified; the declaration's workflow (none runs here) applies it."""
    body = _answer(declared)
    body["lines"][1] |= {"result": "rejected", "reason": "参保信息核对不符"}
    resp = await _post(api, body, settings.medagency_webhook_secret)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"lines": 2}
    kept = _kept(engine, declared.batch_key)
    assert kept is not None and kept["lines"][1]["reason"] == "参保信息核对不符"
    with Session(engine) as session:
        row = session.get(MedicalDeclaration, declared.batch_key)
        assert row is not None and row.status == "answered"
    again = await _post(api, _answer(declared), settings.medagency_webhook_secret)
    assert again.status_code == 202  # delivered twice: the first answer kept stands
    assert _kept(engine, declared.batch_key) == kept
