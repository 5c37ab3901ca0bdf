"""What every staff page shares: the session cookie, CSRF tokens, language, rendering,
flash messages and the signed-in user."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.deps import RuntimeDep, authenticate, session_claims
from api.pages.session_refresh import SESSION_COOKIE
from api.runtime import Runtime
from api.security import create_token
from api.threads import in_thread
from db import task_reads as reads
from db.models import CaseRecord, PaymentRun, Task, User
from db.tasks import task_region
from domain.access import describe_regions, regions_of, sees_region, works_cases
from domain.calendar import AGENCY_TZ
from forms import TEMPLATE_DIR
from forms.i18n import normalize, translate, translator

PRE_COOKIE = "staff_pre"  # a random nonce that seeds the login form's CSRF token
LANG_COOKIE = "lang"
FLASH_COOKIE = "flash"
CSRF_FIELD = "csrf_token"
LOGIN_PATH = "/staff/login"
SESSION_REFRESH_SECONDS = 60  # a page session's cookie is re-issued at most once a minute

templates = Jinja2Templates(directory=TEMPLATE_DIR)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageError(Exception):
    """Shown as the error page: `key` is an i18n key, or `message` a text as it came."""

    def __init__(self, status: int, key: str = "error.title", message: str | None = None):
        super().__init__(message or key)
        self.status, self.key, self.message = status, key, message


# ---- language -------------------------------------------------------------------------


def lang_of(request: Request) -> str:
    return normalize(request.cookies.get(LANG_COOKIE))


def text(request: Request, key: str, **params: object) -> str:
    return translate(lang_of(request), key, **params)


# ---- CSRF: an HMAC of the session (or of the login nonce) with the secret key ---------


def csrf_token(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), b"staff-csrf:" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_seed(request: Request) -> str | None:
    """The login nonce on the login page; elsewhere the session's ID (the same across the
    cookie's refreshes), or the cookie itself when it is no valid token."""
    if request.url.path == LOGIN_PATH:
        return request.cookies.get(PRE_COOKIE)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime: Runtime = request.app.state.runtime
    claims = runtime.users.claims(token, runtime.settings.secret_key)
    return claims.session_id if claims is not None and claims.session_id else token


def csrf_ok(secret: str, seed: str | None, sent: object) -> bool:
    if not seed or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, seed), sent)


async def csrf_guard(request: Request, runtime: RuntimeDep) -> None:
    """Every POST of the staff pages carries the token of the session it was rendered for."""
    if request.method != "POST":
        return
    seed = csrf_seed(request)
    if seed is None and request.url.path != LOGIN_PATH:
        raise LoginRequired(str(request.headers.get("referer") or "/staff"))
    form = await request.form()
    if not csrf_ok(runtime.settings.secret_key, seed, form.get(CSRF_FIELD)):
        raise PageError(403, "error.csrf")


# ---- the signed-in user ------------------------------------------------------------------


async def page_user(request: Request, runtime: RuntimeDep) -> User:
    """The signed-in user (session cookie, the same token and user cache as the API)."""
    token = request.cookies.get(SESSION_COOKIE)
    user = await authenticate(runtime, token)
    if user is None:
        raise LoginRequired(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    claims = session_claims(runtime, token)
    if claims is not None and time.time() - claims.active_at > SESSION_REFRESH_SECONDS:
        # the user is active: a new cookie (same session, same end) restarts the idle timer
        request.state.refreshed_session = (
            create_token(
                user.username,
                runtime.settings.secret_key,
                0,
                user.token_version,
                expires=claims.expires,
                session_id=claims.session_id,
            ),
            claims.expires,
        )
    return user


PageUser = Annotated[User, Depends(page_user)]


async def staff_page_user(user: PageUser) -> User:
    """A signed-in user of a case-working role: the admin role sees no case data."""
    if not works_cases(user.role_set):
        raise PageError(403, "error.forbidden")
    return user


StaffPageUser = Annotated[User, Depends(staff_page_user)]


async def check_in_page_user(user: PageUser) -> User:
    """Clerks and supervisors record check-ins (api/services/cases.CHECK_IN_ROLES)."""
    if not user.role_set & {"clerk", "supervisor"}:
        raise PageError(403, "error.forbidden", "check-ins are recorded by clerks")
    return user


CheckInPageUser = Annotated[User, Depends(check_in_page_user)]


async def intake_page_user(user: PageUser) -> User:
    """Clerks and supervisors record what happens to a case (a stop event)."""
    if not user.role_set & {"clerk", "supervisor"}:
        raise PageError(403, "error.forbidden")
    return user


IntakePageUser = Annotated[User, Depends(intake_page_user)]


async def region_guard(request: Request, runtime: RuntimeDep) -> None:
    """A page of a case or of a task of a case (path parameter case_id or task_id) is
    refused to staff whose regions do not include the case's (domain/access.py). A request
    without a valid session passes on to the page's own sign-in check."""
    params = request.path_params
    case_id, task_id, run_id = params.get("case_id"), params.get("task_id"), params.get("run_id")
    if not case_id and not task_id and not run_id:
        return
    user = await authenticate(runtime, request.cookies.get(SESSION_COOKIE))
    if user is None or regions_of(user.regions) is None:
        return

    def region() -> tuple[str, str | None]:
        """(what, its region): a case, a task (its case's or run's), a payment run."""
        with Session(runtime.reads) as session:
            if case_id:
                case = session.get(CaseRecord, case_id)
                return f"case {case_id}", case.region_code if case is not None else None
            if task_id:
                task = session.get(Task, task_id)
                return f"task {task_id}", task_region(session, task=task) if task else None
            run = session.get(PaymentRun, run_id)
            return f"payment run {run_id}", run.region_code if run is not None else None

    what, found = await in_thread(region)
    if found is not None and not sees_region(user.regions, found):
        message = f"{what} is of region {found}; {user.username} works " + describe_regions(
            user.regions
        )
        raise PageError(403, "error.forbidden", message)


def require_role(user: User, role: str) -> None:
    if role not in user.role_set:
        raise PageError(403, "error.forbidden")


def safe_next(url: str | None) -> str:
    """Only a path of the staff pages, never another site."""
    if url and url.startswith("/staff") and not url.startswith("//"):
        return url
    return "/staff"


# ---- time ----------------------------------------------------------------------------------


async def now(runtime: Runtime) -> datetime:
    """The system clock: the time-skipping server's time in simulated mode."""
    if not runtime.clock.simulated:
        return datetime.now(UTC)
    try:
        return await runtime.clock.now(await runtime.temporal.client())
    except Exception:  # Temporal down: colour by wall time rather than fail the page
        return datetime.now(UTC)


def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp (or an ISO string from JSON) in the agency's time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(AGENCY_TZ).strftime(fmt)


def due_class(due_at: datetime | None, at: datetime) -> str:
    """overdue (red) when past, soon (amber) within 2 days, else nothing."""
    if due_at is None:
        return ""
    if due_at < at:
        return "overdue"
    return "soon" if due_at < at + timedelta(days=2) else ""


templates.env.globals["local"] = local
templates.env.globals["due_class"] = due_class


# ---- rendering -------------------------------------------------------------------------------


def nav_counts(session: Session, user: User) -> dict[str, int]:
    """My active tasks and my groups' active tasks (one statement, index-only counts)."""
    return reads.nav_counts(session.connection(), username=user.username, groups=user.role_set)


async def render(
    request: Request,
    name: str,
    ctx: dict[str, Any],
    *,
    runtime: Runtime,
    session: Session | None = None,
    user: User | None = None,
    status: int = 200,
    counts: dict[str, int] | None = None,
    keep_flash: bool = False,
) -> HTMLResponse:
    """The page `name` with what every page shows; the nav counts are read with `session`
    unless the caller read them already (`counts`). A page that reloads itself into the real
    one (`keep_flash`) leaves the one-time message for it."""
    lang = lang_of(request)
    seed = csrf_seed(request)
    flash = None if keep_flash else request.cookies.get(FLASH_COOKIE)
    context: dict[str, Any] = {
        "t": translator(lang),
        "lang": lang,
        "user": user,
        "csrf": csrf_token(runtime.settings.secret_key, seed) if seed else "",
        "flash": unquote(flash) if flash else None,
        "now": await now(runtime),
        "counts": counts
        if counts is not None
        else (await asyncio.to_thread(nav_counts, session, user) if session and user else None),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **ctx,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/staff")
    return response


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """POST/redirect/GET, with a one-time message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, quote(flash), path="/staff", httponly=True, samesite="lax"
        )
    return response


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
