"""The bank's HTTP API (FastAPI): pain.001 in, pain.002 and camt.053 out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from fastapi import FastAPI, HTTPException, Request, Response

from bank.admin import router as admin_router
from bank.clock import BankClock, clock_from_spec
from bank.config import BankConfig
from bank.service import BadRange, Bank, ClockUnavailable, Duplicate, StatementNotReady
from bank.store import BankStore
from bank.webhooks import deliver_forever
from core.sim_server import create_sim_app
from iso20022 import MessageError
from iso20022.bank_signature import signed_headers

XML = "application/xml"


def create_bank_app(config: BankConfig, clock: BankClock | None = None) -> FastAPI:
    """The simulated bank; `clock` overrides BANK_CLOCK (tests pass a ManualClock)."""

    def start() -> tuple[Bank, Callable[[], None]]:
        store = BankStore(config.db_path)
        return Bank(config, clock or clock_from_spec(config.clock), store), store.close

    app = create_sim_app(
        title="Simulated bank (代发银行)",
        summary="ISO 20022 credit transfers for the UI fund: pain.001, pain.002, camt.053",
        state="bank",
        what="bank",
        clock=config.clock,
        start=start,
        loops=lambda bank, client: [bank.settle_forever(), deliver_forever(bank, client)],
        admin=admin_router,
        clock_unavailable=ClockUnavailable,
    )

    @app.post("/pain001", status_code=202, responses={202: {"content": {XML: {}}}})
    async def submit(request: Request) -> Response:
        """Submit a pain.001; 202 with the acceptance pain.002, 400 invalid, 409 duplicate."""
        bank: Bank = request.app.state.bank
        if bank.mode.refuse:
            raise HTTPException(400, f"pain.001 refused: {bank.mode.refuse}")
        try:
            acceptance = await bank.accept(await request.body())
        except MessageError as exc:
            raise HTTPException(400, f"invalid pain.001: {exc.reason}") from None
        except Duplicate as dup:
            answer = {
                "detail": f"duplicate message ID {dup.original.msg_id!r}: already accepted"
                f" at {dup.original.accepted_at.isoformat()}; nothing new is paid",
                "msg_id": dup.original.msg_id,
                "accepted_at": dup.original.accepted_at.isoformat(),
                "same_content": dup.same_content,
                "acceptance": dup.acceptance.decode(),
            }
            return await signed(request, json.dumps(answer).encode(), 409, "application/json")
        return await signed(request, acceptance, 202)

    @app.get("/status/{msg_id}", responses={200: {"content": {XML: {}}}})
    async def status(msg_id: str, request: Request) -> Response:
        """The current pain.002 of a submitted message (the fallback for a lost webhook)."""
        report = await request.app.state.bank.status(msg_id)
        if report is None:
            raise HTTPException(404, f"no message {msg_id!r}")
        return await signed(request, report)

    @app.get("/statements/{day}", responses={200: {"content": {XML: {}}}})
    async def statement(day: date, request: Request, account: str | None = None) -> Response:
        """The camt.053 for a booking date (default account: the fund's)."""
        try:
            body = await request.app.state.bank.statement(day, account)
        except StatementNotReady as exc:
            raise HTTPException(404, str(exc)) from None
        return await signed(request, body)

    @app.get("/statements/{first}/{last}", responses={200: {"content": {XML: {}}}})
    async def statements(
        first: date, last: date, request: Request, account: str | None = None
    ) -> Response:
        """One camt.053 for the booking dates `first`..`last` (at most 92 days): a statement
        per day in one message, one message ID and one signature (a simulated stack's quiet
        days matched together, activities/reconciliation.py)."""
        try:
            body = await request.app.state.bank.statements(first, last, account)
        except BadRange as exc:
            raise HTTPException(400, str(exc)) from None
        except StatementNotReady as exc:
            raise HTTPException(404, str(exc)) from None
        return await signed(request, body)

    async def signed(
        request: Request, body: bytes, status: int = 200, media_type: str = XML
    ) -> Response:
        """Every answer signed the same way as the webhooks: timestamp (the bank's clock) and
        body under the shared secret."""
        bank: Bank = request.app.state.bank
        headers = signed_headers(body, config.webhook_secret, await bank.now())
        return Response(body, status, headers=headers, media_type=media_type)

    return app
