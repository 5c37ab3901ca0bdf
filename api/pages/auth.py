"""Sign in and out of the staff pages, and switch the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.deps import RuntimeDep, session_claims
from api.login import second_step, sign_in
from api.pages.web import (
    LANG_COOKIE,
    LOGIN_PATH,
    PRE_COOKIE,
    SESSION_COOKIE,
    csrf_token,
    new_nonce,
    redirect,
    render,
    safe_next,
    text,
)
from api.routes.auth import client_ip, new_token
from api.threads import in_login_thread
from api.totp import (
    PENDING_SECONDS,
    Pending,
    pending_token,
    provisioning_uri,
    read_pending,
)
from db.users import revoke_tokens
from forms.i18n import normalize

router = APIRouter()
TOTP_COOKIE = "staff_totp"  # the pending second step (api/totp.py), on the login path only


class LoginForm(BaseModel):
    username: str = ""
    password: str = ""
    otp: str = ""
    next: str = ""
    csrf_token: str = ""


async def _login_page(
    request: Request,
    runtime: RuntimeDep,
    *,
    username: str = "",
    next_url: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    nonce = request.cookies.get(PRE_COOKIE) or new_nonce()
    response = await render(
        request,
        "staff/login.html",
        {
            "csrf": csrf_token(runtime.settings.secret_key, nonce),
            "username": username,
            "next": safe_next(next_url),
            "error": error,
        },
        runtime=runtime,
        status=status,
    )
    if PRE_COOKIE not in request.cookies:
        response.set_cookie(PRE_COOKIE, nonce, path="/staff", httponly=True, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, runtime: RuntimeDep, next: str = "") -> HTMLResponse:
    """The sign-in form."""
    return await _login_page(request, runtime, next_url=next)


async def _otp_page(
    request: Request,
    runtime: RuntimeDep,
    pending: Pending,
    *,
    next_url: str,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The second step: a TOTP code (with the new secret to add, when enrolling)."""
    nonce = request.cookies.get(PRE_COOKIE) or new_nonce()
    enrol = pending.enrol_secret
    response = await render(
        request,
        "staff/login_otp.html",
        {
            "csrf": csrf_token(runtime.settings.secret_key, nonce),
            "next": safe_next(next_url),
            "error": error,
            "enrol_secret": enrol,
            "enrol_uri": provisioning_uri(enrol, pending.username) if enrol else None,
        },
        runtime=runtime,
        status=status,
    )
    if PRE_COOKIE not in request.cookies:
        response.set_cookie(PRE_COOKIE, nonce, path="/staff", httponly=True, samesite="lax")
    response.set_cookie(
        TOTP_COOKIE,
        pending_token(pending, runtime.settings.secret_key),
        max_age=PENDING_SECONDS,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.app_env == "production",
    )
    return response


@router.post("/login", response_model=None)
async def login(
    request: Request,
    form: Annotated[LoginForm, Form()],
    runtime: RuntimeDep,
) -> Response:
    """Check the password (then, for finance and supervisors, a TOTP code: a second form,
    or the `otp` field given with the password); on success keep the API's JWT in an
    HttpOnly cookie."""
    ip = client_ip(request)
    pending = read_pending(request.cookies.get(TOTP_COOKIE), runtime.settings.secret_key)
    second = pending is not None and bool(form.otp) and not form.password
    if second and pending is not None:
        attempt = await second_step(runtime, pending, form.otp, ip)
    else:
        attempt = await sign_in(runtime, form.username, form.password, ip, form.otp or None)
    if attempt.pending is not None:
        return await _otp_page(request, runtime, attempt.pending, next_url=form.next)
    if attempt.user is None:
        throttled = attempt.retry_after is not None
        error = text(request, "login.throttled" if throttled else "login.failed")
        if second and pending is not None and not throttled:
            return await _otp_page(
                request, runtime, pending, next_url=form.next, error=error, status=401
            )
        page = await _login_page(
            request,
            runtime,
            username=form.username or (pending.username if pending else ""),
            next_url=form.next,
            error=error,
            status=429 if throttled else 401,
        )
        if throttled:
            page.headers["Retry-After"] = str(attempt.retry_after)
        return page
    user = attempt.user
    s = runtime.settings
    response = redirect(safe_next(form.next))
    response.set_cookie(
        SESSION_COOKIE,
        new_token(runtime, user),
        max_age=s.token_minutes * 60,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=s.app_env == "production",
    )
    response.delete_cookie(TOTP_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
async def logout(request: Request, runtime: RuntimeDep) -> RedirectResponse:
    """Revoke the user's sessions (every token, in every browser) and forget the cookie."""
    claims = session_claims(runtime, request.cookies.get(SESSION_COOKIE))
    if claims is not None:
        await in_login_thread(revoke_tokens, runtime.engine, claims.username)
    response = redirect("/staff/login", flash=text(request, "login.signed_out"))
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/staff") -> RedirectResponse:
    """Set the `lang` cookie (zh or en) and go back where the link was."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, normalize(code), max_age=365 * 86400, samesite="lax")
    return response
