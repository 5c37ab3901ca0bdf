"""Staff web pages under /staff: server-rendered Jinja2, work without JavaScript, Chinese by
default with an English switch. `mount(app)` adds the routes, /static and the error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.access import audit_refusal
from api.pages import (
    auth,
    calendar,
    case,
    cash_option,
    check_in,
    filters,
    finance,
    intake,
    reconciliation,
    recoveries,
    search,
    stop_event,
    supervisor,
    task,
    transfer,
    worklist,
)
from api.pages.web import (
    LOGIN_PATH,
    LoginRequired,
    PageError,
    csrf_guard,
    redirect,
    region_guard,
    render,
)

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "forms" / "static"

router = APIRouter(
    prefix="/staff",
    include_in_schema=False,
    dependencies=[Depends(csrf_guard), Depends(region_guard)],
)
PAGES = (
    auth,
    worklist,
    filters,
    task,
    search,
    case,
    check_in,
    stop_event,
    transfer,
    cash_option,
    intake,
    supervisor,
    finance,
    reconciliation,
    recoveries,
    calendar,
)
for module in PAGES:
    router.include_router(module.router)


@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/staff/my", status_code=303)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return redirect(f"{LOGIN_PATH}?{urlencode({'next': exc.next_url})}")


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    runtime = request.app.state.runtime
    if exc.status == 403:  # every refusal is audited (api/access.py)
        await audit_refusal(request, exc.message or exc.key)
    return await render(
        request,
        "staff/error.html",
        {"key": exc.key, "message": exc.message},
        runtime=runtime,
        status=exc.status,
    )


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)
