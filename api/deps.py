"""Dependency aliases for routes: the session, the current user, the Temporal client."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from temporalio.client import Client

from api.runtime import Runtime
from api.security import Claims
from api.threads import in_thread
from db.models import User
from domain.access import ADMIN_ROLE, CASE_ROLES

log = logging.getLogger("api")
UNAVAILABLE = "the workflow service is unavailable; try again later"
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# What a route behind a bearer token may answer besides its own codes (its `responses=` in the
# OpenAPI schema: the fuzz test, tests/fuzz, holds every answer to the documented codes)
SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token (signed out, expired or revoked)"},
}
STAFF: dict[int | str, dict[str, Any]] = {
    **SIGNED_IN,
    403: {"description": "the signed-in user lacks a role this needs"},
}
# the largest integer a database key or offset holds (SQLite INTEGER, PostgreSQL BIGINT): a larger
# one in a path was an OverflowError in the driver, a 500 (found by tests/fuzz)
MAX_DB_INT = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="a record's number")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such record"}}
# a case's Update that got no answer in time (Temporal busy or restarting): try again (the
# same request again is safe where the route takes an Idempotency-Key)
BUSY: dict[int | str, dict[str, Any]] = {
    503: {"description": "the workflow service is busy or unavailable: try again (Retry-After)"}
}
# an action refused: nothing to act on (404), or its state forbids it (409)
REFUSED: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "the record's state does not allow this (nothing written)"},
}


async def get_runtime(request: Request) -> Runtime:  # async: no thread-pool hop
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with Session(runtime.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_temporal(runtime: RuntimeDep) -> Client:
    try:
        return await runtime.temporal.client()
    except Exception as err:  # connection refused, DNS, TLS: all mean "not reachable"
        log.warning("Temporal is not reachable: %s", err)  # details in the log, not the answer
        raise HTTPException(503, UNAVAILABLE, headers={"Retry-After": "30"}) from err


TemporalClientDep = Annotated[Client, Depends(get_temporal)]


def session_claims(runtime: Runtime, token: str | None) -> Claims | None:
    """The claims of a signed, unexpired token that has not been idle too long; else None."""
    claims = runtime.users.claims(token, runtime.settings.secret_key) if token else None
    if claims is None or time.time() - claims.active_at > runtime.settings.idle_minutes * 60:
        return None
    return claims


async def authenticate(runtime: Runtime, token: str | None) -> User | None:
    """The active user a token names, if the token's version is still the user's (a logout,
    password change or deactivation bumps it), or None. The user's row comes from the
    process's short-lived cache (api/usercache.py); only a miss reads the database, off the
    event loop."""
    claims = session_claims(runtime, token)
    if claims is None:
        return None
    user = runtime.users.cached(claims.username)
    if user is None:
        user = await in_thread(runtime.users.get, runtime.reads, claims.username)
    if user is None or not user.active or user.token_version != claims.version:
        return None
    return user


async def get_current_user(
    runtime: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]
) -> User:
    user = await authenticate(runtime, token)
    if user is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: str) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through only users holding one of `roles`."""

    async def check(user: CurrentUser) -> User:
        if not user.role_set & set(roles):
            raise HTTPException(403, f"this needs one of the roles: {', '.join(roles)}")
        return user

    return check


IntakeUser = Annotated[User, Depends(require_roles("clerk", "supervisor"))]
# case data (cases, tasks, notices, check-ins, payments) is for the case-working roles; the
# admin role manages users, regions, calendars and policy files only (domain/access.py)
StaffUser = Annotated[User, Depends(require_roles(*sorted(CASE_ROLES)))]
AdminUser = Annotated[User, Depends(require_roles(ADMIN_ROLE))]
FinanceUser = Annotated[User, Depends(require_roles("finance"))]
MoneyUser = Annotated[User, Depends(require_roles("finance", "supervisor"))]
SupervisorUser = Annotated[User, Depends(require_roles("supervisor"))]
