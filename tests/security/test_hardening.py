"""Hardened edges (issue 13 §6): APP_ENV required (fail closed), production secrets of at least
32 bytes, demo users refused in production, security headers, the API documentation only for
signed-in staff in production, and a 503 that never shows Temporal's own error text."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.passwords import hash_password
from core.settings import Settings
from db.engine import session_scope
from db.models import AuditEntry, User
from tests.conftest import ROOT
from tests.pages.helpers import csrf_of
from tests.security.conftest import AppFactory

LONG = {
    "secret_key": "k" + uuid.uuid4().hex + uuid.uuid4().hex,
    "case_id_key": "c" + uuid.uuid4().hex + uuid.uuid4().hex,
    "bank_webhook_secret": "b" + uuid.uuid4().hex + uuid.uuid4().hex,
    "medagency_webhook_secret": "m" + uuid.uuid4().hex + uuid.uuid4().hex,
    "payload_keys": "p1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
    "bank_url": "https://bank.example.cn",
}
# the app in production (settings copied, not re-validated: the test database, a real clock)
PRODUCTION: dict[str, Any] = {"app_env": "production", "clock": "real", **LONG}


def test_app_env_is_required_and_the_app_does_not_start_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    with pytest.raises(ValidationError, match="app_env"):
        Settings()  # type: ignore[call-arg]
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    started = subprocess.run(
        [sys.executable, "-c", "import api.main"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0 and "app_env" in started.stderr


@pytest.mark.parametrize(
    "name", ["secret_key", "case_id_key", "bank_webhook_secret", "medagency_webhook_secret"]
)
def test_production_secrets_need_32_bytes(name: str) -> None:
    Settings(app_env="production", **LONG)  # type: ignore[arg-type]
    short = {**LONG, name: "not-the-dev-one-but-short-31byte"[:31]}
    with pytest.raises(ValidationError, match=f"{name.upper()} must be at least 32"):
        Settings(app_env="production", **short)  # type: ignore[arg-type]


async def test_demo_users_are_refused_in_production(app_client: AppFactory, engine: Engine) -> None:
    async with app_client(**PRODUCTION) as client:
        for name in ("clerk", "admin"):
            r = await client.post("/api/v1/auth/token", data={"username": name, "password": name})
            assert r.status_code == 401
    with Session(engine) as session:
        last = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity_id == "admin", AuditEntry.action == "login_failed")
            .order_by(col(AuditEntry.id).desc())
        ).first()
    assert last is not None and last.data["why"] == "demo user in production"


async def test_security_headers_on_pages_and_the_api(app_client: AppFactory) -> None:
    async with app_client() as client:
        page = await client.get("/staff/login")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in page.headers  # not behind TLS outside prod
        api = await client.get("/api/v1/ping")
        assert api.headers["cache-control"] == "no-store"
        assert api.headers["content-security-policy"].startswith("default-src 'none'")
        css = await client.get("/static/staff.css")
        assert "no-store" not in css.headers.get("cache-control", "")
    async with app_client(**PRODUCTION) as client:
        page = await client.get("/staff/login")
        assert page.headers["strict-transport-security"].startswith("max-age=")


async def test_docs_only_for_signed_in_staff_in_production(
    app_client: AppFactory, engine: Engine
) -> None:
    async with app_client() as client:  # development and tests: open
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
    name = f"staff-{uuid.uuid4().hex[:8]}"
    with session_scope(engine) as session:
        session.add(
            User(username=name, full_name=name, password_hash=hash_password(name), roles="clerk")
        )
    async with app_client(**PRODUCTION) as client:
        assert (await client.get("/openapi.json")).status_code == 401
        assert (await client.get("/redoc")).status_code == 404
        docs = await client.get("/docs")
        assert docs.status_code == 303 and docs.headers["location"] == "/staff/docs"
        to_login = await client.get("/staff/docs")
        assert to_login.status_code == 303 and "/staff/login" in to_login.headers["location"]
        assert (await client.get("/staff/openapi.json")).status_code == 303
        r = await client.post("/api/v1/auth/token", data={"username": name, "password": name})
        bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        schema = await client.get("/openapi.json", headers=bearer)
        assert schema.status_code == 200 and "/api/v1/auth/token" in schema.json()["paths"]
        form = await client.get("/staff/login")
        data = {"username": name, "password": name, "csrf_token": csrf_of(form.text)}
        assert (await client.post("/staff/login", data=data)).status_code == 303
        assert (await client.get("/staff/docs")).status_code == 200
        assert (await client.get("/staff/openapi.json")).status_code == 200


async def test_a_503_never_shows_temporals_error_text(app_client: AppFactory) -> None:
    async with app_client(temporal_address="127.0.0.1:1") as client:
        r = await client.post("/api/v1/auth/token", data={"username": "clerk", "password": "clerk"})
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        for resp in (
            await client.get("/api/v1/sim/clock", headers=h),
            await client.get("/api/v1/health"),
        ):
            assert resp.status_code == 503, resp.text
            body = resp.text.lower()
            for leak in ("127.0.0.1:1", "connection refused", "tcp connect", "transport"):
                assert leak not in body, body


def test_production_refuses_a_plain_http_bank_url() -> None:
    """Issue 13 §5: payment files and the bank's statuses never travel in clear text."""
    with pytest.raises(ValidationError, match="BANK_URL must be https"):
        Settings(app_env="production", **{**LONG, "bank_url": "http://bank.example.cn"})  # type: ignore[arg-type]
    Settings(app_env="development", bank_url="http://127.0.0.1:8900")
    # only when said so explicitly (docker-compose's simulated bank on its internal network)
    Settings(
        app_env="production",
        **{**LONG, "bank_url": "http://bank:8900", "bank_plain_http_ok": True},  # type: ignore[arg-type]
    )
