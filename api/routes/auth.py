"""Tokens for staff users (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import SIGNED_IN, CurrentUser, RuntimeDep
from api.login import sign_in
from api.runtime import Runtime
from api.security import create_token
from api.threads import in_login_thread
from db.models import User
from db.users import revoke_tokens

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    full_name: str
    roles: list[str]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


@router.post(
    "/token",
    response_model=Token,
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "throttled"},
    },
)
async def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    runtime: RuntimeDep,
    otp: Annotated[str, Form(description="TOTP code (finance and supervisors)")] = "",
) -> Token:
    """Exchange a user name and password (and, for finance and supervisors, a TOTP code in
    `otp`) for a bearer token. TOTP enrolment is done on the staff sign-in page."""
    attempt = await sign_in(runtime, form.username, form.password, client_ip(request), otp)
    if attempt.retry_after is not None:
        raise HTTPException(
            429, "too many failed sign-ins", headers={"Retry-After": str(attempt.retry_after)}
        )
    if attempt.pending is not None:
        if attempt.pending.enrol_secret is not None:
            raise HTTPException(401, "TOTP enrolment needed: sign in once on /staff/login")
        raise HTTPException(401, "a TOTP code is needed (form field otp)")
    if attempt.user is None:
        raise HTTPException(401, "wrong user name or password")
    return Token(access_token=new_token(runtime, attempt.user))


def new_token(runtime: Runtime, user: User) -> str:
    s = runtime.settings
    return create_token(user.username, s.secret_key, s.token_minutes, user.token_version)


@router.post("/refresh", response_model=Token, responses=SIGNED_IN)
async def refresh_token(user: CurrentUser, runtime: RuntimeDep) -> Token:
    """A fresh token for a valid one (the idle timeout counts from the last refresh)."""
    return Token(access_token=new_token(runtime, user))


@router.post("/logout", status_code=204, responses=SIGNED_IN)
async def logout(user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Revoke every token of the user (all their sessions, at once)."""
    await in_login_thread(revoke_tokens, runtime.engine, user.username)
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=SIGNED_IN)
def who_am_i(user: CurrentUser) -> Me:
    """The signed-in user and their roles."""
    return Me(username=user.username, full_name=user.full_name, roles=sorted(user.role_set))
