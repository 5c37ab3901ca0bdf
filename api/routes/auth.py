"""Tokens for staff users (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlmodel import select

from api.deps import CurrentUser, RuntimeDep, SessionDep
from api.security import create_token
from core.passwords import verify_password
from db.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    full_name: str
    roles: list[str]


@router.post("/token", response_model=Token)
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, runtime: RuntimeDep
) -> Token:
    """Exchange a user name and password for a bearer token."""
    user = session.exec(select(User).where(User.username == form.username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, form.password):
        raise HTTPException(401, "wrong user name or password")
    s = runtime.settings
    return Token(access_token=create_token(user.username, s.secret_key, s.token_minutes))


@router.get("/me", response_model=Me)
def who_am_i(user: CurrentUser) -> Me:
    """The signed-in user and their roles."""
    return Me(username=user.username, full_name=user.full_name, roles=sorted(user.role_set))
