"""Builds the FastAPI app: REST /api/v1, and the runtime it shares (engine, Temporal)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from api import pages
from api.access import http_error_audited
from api.clock import SystemClock
from api.cors import CodecCORS
from api.deps import UNAVAILABLE
from api.docs import add_staff_docs
from api.headers import SecurityHeaders
from api.nul import RefuseNul
from api.pages.session_refresh import SessionRefresh
from api.routes import (
    auth,
    bank_webhook,
    calendar,
    cases,
    check_ins,
    codec,
    events,
    health,
    intake,
    medical_cases,
    medical_webhook,
    notices,
    payment_runs,
    ping,
    reconciliations,
    recoveries,
    sim,
    tasks,
    transfers,
)
from api.runtime import Runtime, TemporalGateway
from api.temporal_calls import RETRY_AFTER, TemporalUnavailable
from api.throttle import LoginThrottle
from api.usercache import UserCache
from core.codec import data_converter
from core.gc_tuning import settle_after_startup
from core.identity import IdentityKeys
from core.settings import Settings, get_settings
from db.engine import make_engine, make_read_engine
from notifications.outbox import outbox_for
from policy import POLICY_DIR
from policy.store import PolicyStore

log = logging.getLogger("api")


async def _temporal_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """A Temporal call that failed and was not handled: 503, the details only in the log."""
    log.warning("Temporal call failed: %r", exc)
    return JSONResponse({"detail": UNAVAILABLE}, 503, headers={"Retry-After": "30"})


async def _temporal_busy(_request: Request, exc: Exception) -> JSONResponse:
    """A Temporal call that got no answer in time (an RPC deadline, a busy service, an Update
    still waiting: api/temporal_calls.py): 503 to try again shortly, details only in the log."""
    log.warning("Temporal call got no answer in time: %r", exc)
    return JSONResponse({"detail": UNAVAILABLE}, 503, headers={"Retry-After": RETRY_AFTER})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # a bad policy file stops start-up here, naming the file, the key and the reason; later
    # edits are reloaded (a bad one refused, loudly, and its last valid version kept)
    policy = PolicyStore(settings.policy_dir or POLICY_DIR, settings.policy_check_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        reader = make_read_engine(settings.effective_database_url, engine)
        app.state.runtime = Runtime(
            settings=settings,
            engine=engine,
            policy=policy,
            temporal=TemporalGateway(
                settings.temporal_address,
                settings.temporal_namespace,
                data_converter(settings.payload_keys),
            ),
            clock=SystemClock(simulated=settings.clock == "simulated"),
            keys=IdentityKeys(settings.case_id_key),
            notifier=outbox_for(settings, engine),
            users=UserCache(settings.user_cache_seconds),
            throttle=LoginThrottle(
                settings.login_failures_per_account,
                settings.login_failures_per_ip,
                settings.login_window_seconds,
            ),
            reader=reader,
        )
        frozen = settle_after_startup()  # start-up's objects out of later full collections
        log.info(
            "API up: clock=%s, database=%s, %d start-up objects frozen",
            settings.clock,
            engine.url.render_as_string(),
            frozen,
        )
        yield
        engine.dispose()
        if reader is not engine:
            reader.dispose()

    production = settings.app_env == "production"
    app = FastAPI(
        title="Unemployment-insurance claims (失业保险待遇)",
        version="1",
        lifespan=lifespan,
        description="Case intake, deadlines, worklist and payments for a regional agency.",
        # production: the documentation only for signed-in staff (api/docs.py)
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
    )
    if production:
        add_staff_docs(app)
    v1 = APIRouter(prefix="/api/v1")
    for module in (
        health,
        auth,
        intake,
        cases,
        check_ins,
        events,
        medical_cases,
        transfers,
        tasks,
        notices,
        ping,
        bank_webhook,
        medical_webhook,
        reconciliations,
        recoveries,
        payment_runs,
        calendar,
        codec,
    ):
        v1.include_router(module.router)
    if settings.clock == "simulated":
        v1.include_router(sim.router)
    app.include_router(v1)
    # the codec again where the staff session cookie (path /staff) reaches it, for the UI
    app.include_router(codec.router, prefix="/staff", include_in_schema=False)
    app.add_middleware(RefuseNul)  # innermost: the others still wrap its 422
    app.add_middleware(CodecCORS, origins=settings.temporal_ui_origins)
    app.add_middleware(SessionRefresh, secure=production)
    app.add_middleware(SecurityHeaders, production=production)
    app.add_exception_handler(RPCError, _temporal_unavailable)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _temporal_busy)
    app.add_exception_handler(TemporalUnavailable, _temporal_busy)
    # 403s audited; a body that cannot be read is a 422 (api/access.py, api/errors.py)
    app.add_exception_handler(StarletteHTTPException, http_error_audited)
    pages.mount(app)  # staff web pages under /staff, their CSS under /static
    # compiled templates are kept; only development looks for edited template files per render
    pages.web.templates.env.auto_reload = settings.app_env == "development"

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/staff" if production else "/docs")

    return app


app = create_app()  # uvicorn api.main:app
