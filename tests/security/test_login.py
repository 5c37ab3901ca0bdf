"""Sign-in hardening (issue 13 §6): off the event loop, a dummy hash for unknown users,
throttling per account and per address (429 + Retry-After), every attempt audited."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import api.login
from db.models import AuditEntry
from tests.pages.helpers import csrf_of
from tests.security.conftest import AppFactory


def _token(client: httpx.AsyncClient, user: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", data={"username": user, "password": password})


def _logins(engine: Engine, name: str) -> list[tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        stmt = select(AuditEntry).where(
            AuditEntry.entity_type == "user",
            AuditEntry.entity_id == name,
            col(AuditEntry.action).startswith("login_"),
        )
        return [(a.action, a.data) for a in session.exec(stmt.order_by(col(AuditEntry.id)))]


async def test_password_checks_run_off_the_event_loop_with_a_dummy_hash_for_unknown_users(
    app_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real = api.login.verify_password

    def spy(password_hash: str, password: str) -> bool:
        seen.append((threading.current_thread().name, password_hash))
        return real(password_hash, password)

    monkeypatch.setattr(api.login, "verify_password", spy)
    async with app_client() as client:
        form = await client.get("/staff/login")
        data = {"username": "nobody-here", "password": "x", "csrf_token": csrf_of(form.text)}
        assert (await client.post("/staff/login", data=data)).status_code == 401
        assert (await _token(client, "nobody-here", "x")).status_code == 401
        assert (await _token(client, "clerk", "wrong")).status_code == 401
        assert (await _token(client, "clerk", "clerk")).status_code == 200
    assert len(seen) == 4, seen  # the unknown user's password was verified too
    assert all(name.startswith("api-login") for name, _ in seen), seen
    assert seen[0][1] == seen[1][1] == api.login.DUMMY_HASH
    assert seen[2][1] == seen[3][1] != api.login.DUMMY_HASH


async def test_failed_sign_ins_are_throttled_per_account_and_audited(
    app_client: AppFactory, engine: Engine
) -> None:
    async with app_client(login_failures_per_account=3) as client:
        for _ in range(3):
            assert (await _token(client, "reviewer", "guess")).status_code == 401
        blocked = await _token(client, "reviewer", "reviewer")  # even the right password
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["Retry-After"]) <= 900
        form = await client.get("/staff/login")
        page = await client.post(
            "/staff/login",
            data={"username": "reviewer", "password": "reviewer", "csrf_token": csrf_of(form.text)},
        )
        assert page.status_code == 429 and "Retry-After" in page.headers
        assert "staff_session" not in client.cookies
        # another account from the same address is not affected
        assert (await _token(client, "clerk", "clerk")).status_code == 200
    actions = [a for a, _ in _logins(engine, "reviewer")][-5:]
    assert actions == ["login_failed"] * 3 + ["login_throttled"] * 2
    assert all(d["ip"] == "198.51.100.7" for _, d in _logins(engine, "reviewer")[-5:])
    assert _logins(engine, "clerk")[-1][0] == "login_succeeded"


async def test_failed_sign_ins_are_throttled_per_address(app_client: AppFactory) -> None:
    async with app_client(login_failures_per_ip=4) as client:
        for name in ("a-1", "a-2", "a-3", "a-4"):
            assert (await _token(client, name, "guess")).status_code == 401
        blocked = await _token(client, "supervisor", "supervisor")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
