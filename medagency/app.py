"""The agency's HTTP API (FastAPI): declaration batches in, answers out (JSON)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, HTTPException, Request, Response

from bank.clock import BankClock, clock_from_spec
from core.sim_server import create_sim_app
from medagency.admin import router as admin_router
from medagency.config import AgencyConfig
from medagency.protocol import Answer, Declaration, Processing
from medagency.service import Agency, ClockUnavailable, Conflict
from medagency.store import AgencyStore
from medagency.webhooks import deliver_forever


def create_agency_app(config: AgencyConfig, clock: BankClock | None = None) -> FastAPI:
    """The simulated medical-insurance agency; `clock` overrides MEDAGENCY_CLOCK (tests)."""

    def start() -> tuple[Agency, Callable[[], None]]:
        store = AgencyStore(config.db_path)
        return Agency(config, clock or clock_from_spec(config.clock), store), store.close

    app = create_sim_app(
        title="Simulated medical-insurance agency (医保经办机构)",
        summary="Monthly enrolment, premium and stop declarations of the UI agency's claimants",
        state="agency",
        what="agency",
        clock=config.clock,
        start=start,
        loops=lambda agency, client: [agency.process_forever(), deliver_forever(agency, client)],
        admin=admin_router,
        clock_unavailable=ClockUnavailable,
    )

    @app.post(
        "/declarations",
        response_model=Answer | Processing,
        responses={202: {"model": Processing}, 409: {}},
    )
    async def declare(
        decl: Declaration, request: Request, response: Response
    ) -> Answer | Processing:
        """Declare a batch: 200 with every line's result, or 202 when the answer comes later
        (webhook, GET). A batch key is accepted once: sent again, the batch is answered as it
        stands; sent with other content, 409 and nothing changes."""
        try:
            answer = await request.app.state.agency.declare(decl)
        except Conflict as err:
            raise HTTPException(
                409,
                f"batch {decl.batch_key!r} was received at {err.batch.received_at.isoformat()}"
                " with other content; nothing changed",
            ) from None
        if isinstance(answer, Processing):
            response.status_code = 202
        return answer

    @app.get("/declarations/{batch_key}", response_model=Answer | Processing)
    async def answer(batch_key: str, request: Request, response: Response) -> Answer | Processing:
        """A batch's answer (200), or 202 while it is processed (the fallback for a webhook)."""
        found = await request.app.state.agency.answer_of(batch_key)
        if found is None:
            raise HTTPException(404, f"no batch {batch_key!r}")
        if isinstance(found, Processing):
            response.status_code = 202
        return found

    return app
