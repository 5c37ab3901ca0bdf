"""The bank's status webhook: signed pain.002 reports, checked before anything changes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import col, select
from temporalio.service import RPCError, RPCStatusCode

from activities.payment_models import StatusUpdate
from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from db.models import Payment, PaymentRun
from iso20022.errors import MessageError
from iso20022.pain002 import parse_pain002
from iso20022.signing import verify
from workflows.payment_run import PaymentRunWorkflow

router = APIRouter(prefix="/bank", tags=["bank"])
log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Bank-Signature"
# statuses per signal: a report on a whole run (100,000 transactions, ~12 MB as JSON) would
# pass Temporal's 2 MB limit on one payload; 5,000 make ~600 KB
SIGNAL_CHUNK = 5000


@router.post("/webhook", status_code=202)
async def bank_webhook(
    request: Request, runtime: RuntimeDep, session: SessionDep, client: TemporalClientDep
) -> dict[str, int]:
    """Per-transaction statuses (pain.002) from the bank, HMAC-signed; 202 when accepted."""
    body = await request.body()
    if not verify(
        body, runtime.settings.bank_webhook_secret, request.headers.get(SIGNATURE_HEADER)
    ):
        log.warning("bank webhook refused: bad or missing signature")
        raise HTTPException(401, "bad or missing signature")
    try:
        report = parse_pain002(body)
    except MessageError as err:
        log.warning("bank webhook refused: %s", err)
        raise HTTPException(422, f"malformed pain.002: {err}") from err
    run = session.get(PaymentRun, report.original_msg_id)
    if run is None:
        log.warning("bank webhook refused: unknown message %s", report.original_msg_id)
        raise HTTPException(422, f"unknown original message ID {report.original_msg_id}")
    ids = [s.end_to_end_id for s in report.statuses]
    known = set(
        session.exec(
            select(Payment.end_to_end_id).where(
                Payment.run_id == run.run_id, col(Payment.end_to_end_id).in_(ids)
            )
        ).all()
    )
    unknown = sorted(set(ids) - known)
    if unknown:
        log.warning("bank webhook refused: unknown end-to-end IDs %s", unknown[:5])
        raise HTTPException(422, f"unknown end-to-end IDs in run {run.run_id}: {unknown[:20]}")
    updates = [
        StatusUpdate(s.end_to_end_id, s.status, s.reason, s.booked_at) for s in report.statuses
    ]
    if run.status == "completed":  # every transaction is final already (a late or repeated report)
        return {"accepted": 0}
    handle = client.get_workflow_handle(f"payment-run-{run.run_id}")
    try:
        for start in range(0, len(updates), SIGNAL_CHUNK):
            await handle.signal(
                PaymentRunWorkflow.bank_status, updates[start : start + SIGNAL_CHUNK]
            )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND and "ompleted" not in err.message:
            raise
        log.info("run %s has finished; its statuses were applied already", run.run_id)
        return {"accepted": 0}
    return {"accepted": len(updates)}
