"""The REST API fuzzed against its own OpenAPI schema with Schemathesis (issue 13 §7):
every operation gets generated requests, anonymous and with each role's bearer token, on the
real app over HTTP (time-skipping Temporal server, a worker, a database of the run's own), and
every answer must be no 5xx, with a documented status code, a declared content type and a body
matching the schema. The staff web pages (/staff) are not in the schema, so not fuzzed here.

Bounded here (FUZZ_EXAMPLES per operation, 12 by default, derandomized: the same requests every
run); `make soak` runs 500 randomized examples per operation (FUZZ_EXAMPLES=500 FUZZ_RANDOM=1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks
from sqlalchemy import make_url

from api.main import create_app
from core.settings import Settings
from db.seed import demo_credentials
from notifications.smtp_sink import SinkHandle
from policy import PolicyBook
from tests.conftest import migrated, seeded_settings
from tests.fuzz.live_stack import live_stack
from tests.utils.worker_database import postgres_scratch

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"
# anonymous, then one user of each role (finance and supervisor sign in with TOTP)
IDENTITIES = ("anonymous", "clerk", "reviewer", "supervisor", "finance", "admin")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


class Tokens:
    """Each role's bearer token; signed in again after the fuzzer logged the user out."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._tokens: dict[str, str] = {}

    def sign_in(self, username: str) -> None:
        resp = requests.post(
            f"{self.base_url}/api/v1/auth/token", data=demo_credentials(username), timeout=30
        )
        assert resp.status_code == 200, resp.text
        self._tokens[username] = resp.json()["access_token"]

    def headers(self, identity: str) -> dict[str, str]:
        if identity == "anonymous":
            return {}
        if identity not in self._tokens:
            self.sign_in(identity)
        return {"Authorization": f"Bearer {self._tokens[identity]}"}


@contextmanager
def fuzz_database_url(database_url: str, folder: Path) -> Iterator[str]:
    """A database of the fuzz run's own: what the fuzzer writes (a calendar year loaded by the
    admin, saved filters, logouts, cases) stays out of the other tests' database. SQLite: a
    file; PostgreSQL: the tests' database name + "_fuzz" on the same server, dropped after (each
    pytest-xdist worker's tests' database has its own)."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{folder / 'fuzz.db'}"
        return
    with postgres_scratch(database_url, "fuzz") as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_base_url(
    database_url: str,
    smtp_sink: SinkHandle,
    book: PolicyBook,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with fuzz_database_url(database_url, tmp_path_factory.mktemp("fuzz")) as url:
        engine = migrated(url)
        # the fuzzer's wrong passwords (POST /auth/token) would otherwise throttle the sign-ins
        # this test needs (every request comes from 127.0.0.1); throttling has its own tests
        # (tests/security/test_login.py)
        settings = seeded_settings(engine, url, smtp_sink).model_copy(
            update={"login_failures_per_account": 1_000_000, "login_failures_per_ip": 1_000_000}
        )
        try:
            with live_stack(settings, engine, book) as base_url:
                yield base_url
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def tokens(fuzz_base_url: str) -> Tokens:
    return Tokens(fuzz_base_url)


def app_schema() -> dict[str, Any]:
    """The schema /openapi.json serves in the tests' configuration (simulated clock), built
    at collection time so that each operation is a test of its own (Schemathesis's
    from_fixture does not run on pytest 9)."""
    app = create_app(Settings(app_env="test", clock="simulated", database_url="sqlite://"))
    return app.openapi()


# Excluded, with the reason:
# - POST /sim/clock/advance moves the time-skipping server's one clock by up to 3660 days:
#   every timer of every case the fuzzer filed fires on the way (months of reminders, payment
#   runs to a bank no fuzz test runs), so one example takes minutes and leaves every later
#   operation on a different world; its own tests are tests/api/test_health_and_clock.py and
#   the end-to-end workflow tests, which advance the clock by what they mean to.
schema = schemathesis.openapi.from_dict(app_schema()).exclude(
    method="POST", path="/api/v1/sim/clock/advance"
)


@schema.parametrize()
@schema.given(identity=st.sampled_from(IDENTITIES))
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(
    case: schemathesis.Case, identity: str, tokens: Tokens, fuzz_base_url: str
) -> None:
    headers: dict[str, Any] = dict(case.headers or {})
    headers.update(tokens.headers(identity))
    case.call_and_validate(base_url=fuzz_base_url, headers=headers, checks=CHECKS, timeout=60)
    if identity != "anonymous" and case.operation.path == "/api/v1/auth/logout":
        tokens.sign_in(identity)  # the logout revoked every token of the user
