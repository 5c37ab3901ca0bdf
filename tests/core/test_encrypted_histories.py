"""No personal data in clear where Temporal keeps it (issue 13 §2): a case through intake,
review, a check-in and a payment run (a return re-issued to a new account), on the real stack
(our API and worker, the simulated bank over HTTP). The histories as the server stores them,
the captured logs, the outbox and the mail sink hold neither the claimant's identity number
nor an account number; the same histories decode with the codec, and through the endpoint."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from stdnum import luhn
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from core.codec import ENCODING
from core.temporal import PLAIN_CONVERTER
from db.models import AuditEntry, Notification, Payment, PaymentRun, Task
from notifications.smtp_sink import SinkHandle
from payloads.payments import PaymentRunInput
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import CONVERTER, advance, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import REGION, Stack, _task_id, state_when_run
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.payment_returns import PaymentReturnsWorkflow
from workflows.payment_run import PaymentRunWorkflow

stack = test_payment_run.stack  # the real stack: our API and worker, and the simulated bank
ENCRYPTED = base64.b64encode(ENCODING).decode()


def _account() -> str:
    """A fresh card number (Luhn-valid) that no other test uses."""
    body = "62220202" + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + luhn.calc_check_digit(body)


def _texts(node: Any) -> Iterator[str]:
    """Every string of a history's JSON, and what each base64 string decodes to: a payload's
    data in clear would show here."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)
    elif isinstance(node, str):
        yield node
        with contextlib.suppress(binascii.Error, ValueError):
            yield base64.b64decode(node, validate=True).decode("utf-8", errors="replace")


def _sealed_payloads(node: Any) -> Iterator[dict[str, Any]]:
    """The encrypted payloads of a history's JSON, in protobuf JSON (the codec protocol's)."""
    if isinstance(node, dict):
        if node.get("metadata", {}).get("encoding") == ENCRYPTED:
            yield node
            return
        for value in node.values():
            yield from _sealed_payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _sealed_payloads(value)


def _found(needles: list[str], texts: Iterator[str] | list[str]) -> set[str]:
    """Which of `needles` occur in any of `texts`."""
    return {n for text in texts for n in needles if n in text}


async def _task(api: httpx.AsyncClient, h: dict[str, str], case_id: str, kind: str) -> str:
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        found = (
            await api.get("/api/v1/tasks", params={"case_id": case_id, "kind": kind}, headers=h)
        ).json()
        if found:
            return str(found[0]["task_id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {case_id}")


async def _case_through_a_payment_run(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, nid: str, first: str, second: str
) -> tuple[str, str]:
    """Intake, review, check-in, a run whose payment to `first` comes back (closed account),
    re-issued to `second`; all through the API. Returns (case_id, run_id)."""
    sep = (await today(env)) - timedelta(days=2)
    account = {"bank_code": "ICBC", "account_number": first, "account_name": "刘测试"}
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
        clerk = await login(api, "clerk")
        report = f.employer_report_json(nid, sep, region_code=REGION)
        r = await api.post("/api/v1/employer-reports", json=report, headers=clerk)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        reg = f.registration_json(nid, sep, region_code=REGION, bank_account=account)
        r = await api.post("/api/v1/registrations", json=reg, headers=clerk)
        assert r.status_code == 201, r.text

        reviewer = await login(api, "reviewer")
        review = await _task(api, reviewer, case_id, "review_claim")
        r = await api.post(
            f"/api/v1/tasks/{review}/complete", json={"outcome": "approve"}, headers=reviewer
        )
        assert r.status_code == 200, r.text
        await case_when(api, clerk, case_id, "active")
        r = await api.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk)
        assert r.status_code == 201, r.text
        for _ in range(1200):
            with Session(engine) as session:
                if session.exec(select(Payment).where(Payment.case_id == case_id)).first():
                    break
            await asyncio.sleep(0.05)

        r = await api.post(f"{stack.bank_url}/admin/mode", json={"closed_accounts": [first]})
        assert r.status_code == 200, r.text
        run_id = f"R{REGION}-{(await today(env)):%Y%m%d}-{case_id[-4:]}"
        run = await env.client.start_workflow(
            PaymentRunWorkflow.run,
            PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=await today(env)),
            id=ids.payment_run(run_id),
            task_queue=stack.settings.task_queue,
        )
        finance = await login(api, "finance")
        release = await _task_id(engine, run_id, "payment_run_release")
        r = await api.post(
            f"/api/v1/tasks/{release}/complete", json={"outcome": "release"}, headers=finance
        )
        assert r.status_code == 200, r.text
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await advance(env, 0.1)  # past the bank's settlement delay: the payment comes back
        returned = await _task_id(engine, run_id, "payment_returned")
        new = {"bank_code": "CCB", "account_number": second, "account_name": "刘测试"}
        r = await api.post(
            f"/api/v1/tasks/{returned}/complete",
            json={"outcome": "reissue", "data": {"bank_account": new}},
            headers=finance,
        )
        assert r.status_code == 200, r.text
        await state_when_run(engine, run, lambda st: st.status == "completed")
    return case_id, run_id


def _remove(engine: Engine, case_id: str, run_id: str) -> None:
    """This test's ledger rows go: the reconciliation tests compare a day's ledger with a bank."""
    with Session(engine) as session:
        session.exec(delete(Payment).where(col(Payment.case_id) == case_id))
        owners = [ids.payment_run(run_id), ids.payment_returns(run_id)]
        session.exec(delete(Task).where(col(Task.workflow_id).in_(owners)))
        session.exec(delete(PaymentRun).where(col(PaymentRun.run_id) == run_id))
        session.commit()


async def test_histories_logs_and_outbox_hold_no_identity_or_account_number(
    env: WorkflowEnvironment,
    stack: Stack,
    engine: Engine,
    smtp_sink: SinkHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await advance(env, 45)  # a day of its own: other tests reconcile today's ledger
    nid = f.national_id(birth=date(1990, 3, 9), sex="female")
    first, second = _account(), _account()
    secret = [nid, first, second]
    async with stack.worker():
        case_id, run_id = await _case_through_a_payment_run(env, stack, engine, nid, first, second)
    try:
        # the histories as the server stores them: read by a client without the codec
        raw = Client(env.client.service_client, namespace="default", data_converter=PLAIN_CONVERTER)
        histories: list[WorkflowHistory] = [
            await raw.get_workflow_handle(ids.case(case_id)).fetch_history(),
            await raw.get_workflow_handle(ids.payment_run(run_id)).fetch_history(),
            await raw.get_workflow_handle(ids.payment_returns(run_id)).fetch_history(),
        ]
        exported = [h.to_json_dict() for h in histories]
        assert _found(secret, _texts(exported)) == set(), "personal data in a history"

        logged = [caplog.text, *(str(r.args) for r in caplog.records)]
        assert caplog.records and _found(secret, logged) == set(), "personal data in the logs"
        with Session(engine) as session:
            outbox = [repr(n.model_dump()) for n in session.exec(select(Notification)).all()]
            journal = [repr(a.model_dump()) for a in session.exec(select(AuditEntry)).all()]
            tasks = [repr(t.model_dump()) for t in session.exec(select(Task)).all()]
        assert outbox and _found(secret, outbox) == set(), "personal data in the outbox"
        mail = [p.read_text(errors="replace") for p in smtp_sink.maildir.rglob("*") if p.is_file()]
        assert _found(secret, mail) == set(), "personal data in the mail sink"
        assert _found([first, second], journal + tasks) == set(), "an account in audit or tasks"

        # ... and the same histories decode with the codec, directly and through the endpoint
        sealed = [p for h in exported for p in _sealed_payloads(h)]
        assert sealed
        codec = CONVERTER.payload_codec
        assert codec is not None
        opened = await codec.decode(
            [Payload(metadata={k: base64.b64decode(v) for k, v in p["metadata"].items()},
                     data=base64.b64decode(p["data"])) for p in sealed]
        )  # fmt: skip
        assert _found(secret, [p.data.decode(errors="replace") for p in opened]) == set(secret)
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
            h = {**await login(api, "supervisor"), "X-Namespace": "default"}
            resp = await api.post("/api/v1/codec/decode", json={"payloads": sealed}, headers=h)
        assert resp.status_code == 200, resp.text
        assert _found(secret, _texts(resp.json())) == set(secret)
        replayer = Replayer(
            workflows=[ClaimWorkflow, PaymentRunWorkflow, PaymentReturnsWorkflow],
            data_converter=CONVERTER,
        )
        for history in histories:
            await replayer.replay_workflow(history)
    finally:
        _remove(engine, case_id, run_id)
