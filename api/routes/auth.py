"""Tokens for staff users (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import CurrentUser, RuntimeDep
from api.login import sign_in
from api.security import create_token

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
) -> Token:
    """Exchange a user name and password for a bearer token."""
    attempt = await sign_in(runtime, form.username, form.password, client_ip(request))
    if attempt.retry_after is not None:
        raise HTTPException(
            429, "too many failed sign-ins", headers={"Retry-After": str(attempt.retry_after)}
        )
    if attempt.user is None:
        raise HTTPException(401, "wrong user name or password")
    s = runtime.settings
    return Token(access_token=create_token(attempt.user.username, s.secret_key, s.token_minutes))


@router.get("/me", response_model=Me)
def who_am_i(user: CurrentUser) -> Me:
    """The signed-in user and their roles."""
    return Me(username=user.username, full_name=user.full_name, roles=sorted(user.role_set))
