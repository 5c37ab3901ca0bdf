"""TOTP for finance and supervisors (issue 13 §6): a code after the password on both doors,
enrolment on the staff sign-in page, demo users seeded with the documented secret."""

from __future__ import annotations

import re
import uuid

import httpx
import pyotp
from sqlalchemy import Engine
from sqlmodel import select

from api.pages.web import SESSION_COOKIE
from core.passwords import hash_password
from db.engine import session_scope
from db.models import User
from db.seed import DEMO_TOTP_SECRET
from tests.pages.helpers import csrf_of
from tests.security.conftest import AppFactory


async def _post_token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data=form)


async def test_finance_and_supervisors_need_a_code_after_the_password(
    app_client: AppFactory,
) -> None:
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    async with app_client() as client:
        for name in ("finance", "supervisor"):
            missing = await _post_token(client, username=name, password=name)
            assert missing.status_code == 401 and "TOTP" in missing.text
            wrong = "000000" if code != "000000" else "111111"
            bad = await _post_token(client, username=name, password=name, otp=wrong)
            assert bad.status_code == 401
            ok = await _post_token(client, username=name, password=name, otp=code)
            assert ok.status_code == 200, ok.text
        # a code does not stand in for the password
        assert (
            await _post_token(client, username="finance", password="x", otp=code)
        ).status_code == 401
        # roles without TOTP sign in with the password alone
        assert (await _post_token(client, username="clerk", password="clerk")).status_code == 200

        # the staff page: password, then the code on a second form
        form = await client.get("/staff/login")
        data = {
            "username": "supervisor",
            "password": "supervisor",
            "csrf_token": csrf_of(form.text),
        }
        step = await client.post("/staff/login", data=data)
        assert step.status_code == 200 and 'name="otp"' in step.text
        assert SESSION_COOKIE not in client.cookies
        done = await client.post(
            "/staff/login", data={"otp": code, "csrf_token": csrf_of(step.text), "next": ""}
        )
        assert done.status_code == 303 and SESSION_COOKIE in client.cookies
        assert (await client.get("/staff/my")).status_code == 200


async def test_a_new_supervisor_enrols_on_the_sign_in_page(
    app_client: AppFactory, engine: Engine
) -> None:
    name = f"sup-{uuid.uuid4().hex[:8]}"
    with session_scope(engine) as session:
        session.add(
            User(
                username=name,
                full_name=name,
                password_hash=hash_password(name),
                roles="supervisor",
            )
        )
    async with app_client() as client:
        refused = await _post_token(client, username=name, password=name)
        assert refused.status_code == 401 and "enrolment" in refused.text
        form = await client.get("/staff/login")
        data = {"username": name, "password": name, "csrf_token": csrf_of(form.text)}
        step = await client.post("/staff/login", data=data)
        assert step.status_code == 200
        found = re.search(r'class="totp-secret">([A-Z2-7]+)<', step.text)
        assert found, step.text
        secret = found.group(1)
        assert "otpauth://totp/" in step.text
        wrong = await client.post(
            "/staff/login", data={"otp": "12345x", "csrf_token": csrf_of(step.text)}
        )
        assert wrong.status_code == 401 and SESSION_COOKIE not in client.cookies
        done = await client.post(
            "/staff/login",
            data={"otp": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(step.text)},
        )
        assert done.status_code == 303 and SESSION_COOKIE in client.cookies
        assert (await client.get("/staff/my")).status_code == 200
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.username == name)).one()
            assert user.totp_secret == secret
        api_ok = await _post_token(
            client, username=name, password=name, otp=pyotp.TOTP(secret).now()
        )
        assert api_ok.status_code == 200
