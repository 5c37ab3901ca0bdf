"""Sessions (issue 13 §6): a token version per user (logout, password change and deactivation
revoke every token at once) and an idle timeout that the staff pages' activity slides."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
from sqlalchemy import Engine
from sqlmodel import select

from api.pages.web import SESSION_COOKIE
from api.security import ALGORITHM
from core.passwords import hash_password
from core.settings import Settings
from db.engine import session_scope
from db.models import User
from db.users import deactivate
from tests.pages.helpers import csrf_of
from tests.security.conftest import AppFactory


def _new_user(engine: Engine, roles: str = "clerk") -> str:
    name = f"u-{uuid.uuid4().hex[:10]}"
    with session_scope(engine) as session:
        session.add(
            User(username=name, full_name=name, password_hash=hash_password(name), roles=roles)
        )
    return name


async def _token(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", data={"username": name, "password": name})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/api/v1/auth/me", headers=headers)).status_code


async def test_logout_revokes_every_session_of_the_user_at_once(
    app_client: AppFactory, engine: Engine
) -> None:
    name = _new_user(engine)
    async with app_client() as client:
        api_token = await _token(client, name)
        form = await client.get("/staff/login")
        data = {"username": name, "password": name, "csrf_token": csrf_of(form.text)}
        assert (await client.post("/staff/login", data=data)).status_code == 303
        page_token = {"Authorization": f"Bearer {client.cookies[SESSION_COOKIE]}"}
        assert await _me(client, api_token) == 200 and await _me(client, page_token) == 200
        page = await client.get("/staff/my")
        out = await client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303
        assert await _me(client, page_token) == 401  # the cookie's token, replayed
        assert await _me(client, api_token) == 401  # and the user's other sessions
        fresh = await _token(client, name)
        assert (await client.post("/api/v1/auth/logout", headers=fresh)).status_code == 204
        assert await _me(client, fresh) == 401


async def test_a_password_change_or_deactivation_revokes_tokens_at_once(
    app_client: AppFactory, engine: Engine
) -> None:
    name = _new_user(engine)
    async with app_client() as client:
        old = await _token(client, name)
        assert await _me(client, old) == 200
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.username == name)).one()
            user.password_hash = hash_password(name)  # a password change, same text even
            session.add(user)
        assert await _me(client, old) == 401
        newer = await _token(client, name)
        assert await _me(client, newer) == 200
        assert deactivate(engine, name)
        assert await _me(client, newer) == 401
        r = await client.post("/api/v1/auth/token", data={"username": name, "password": name})
        assert r.status_code == 401


def _aged_token(settings: Settings, name: str, idle_seconds: int, version: int = 0) -> str:
    now = int(time.time())
    claims = {
        "sub": name,
        "ver": version,
        "iat": now - idle_seconds,
        "act": now - idle_seconds,
        "exp": now + 3600,
        "sid": "s-" + name,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


async def test_an_idle_session_is_refused_and_page_activity_slides_the_timeout(
    app_client: AppFactory, engine: Engine, settings: Settings
) -> None:
    name = _new_user(engine)
    async with app_client(idle_minutes=30) as client:
        idle = {"Authorization": f"Bearer {_aged_token(settings, name, 31 * 60)}"}
        assert await _me(client, idle) == 401
        recent = _aged_token(settings, name, 5 * 60)
        assert await _me(client, {"Authorization": f"Bearer {recent}"}) == 200
        refreshed = await client.post(
            "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {recent}"}
        )
        assert refreshed.status_code == 200

        client.cookies.set(SESSION_COOKIE, recent, path="/staff")
        page = await client.get("/staff/my")
        assert page.status_code == 200
        new_cookie = page.cookies.get(SESSION_COOKIE)
        assert new_cookie and new_cookie != recent  # re-issued: the idle timer restarts
        claims = jwt.decode(new_cookie, settings.secret_key, algorithms=[ALGORITHM])
        assert claims["sid"] == "s-" + name and time.time() - claims["act"] < 5 * 60
        # a form rendered before the refresh still posts (its CSRF token follows the session)
        out = await client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/staff/login"
