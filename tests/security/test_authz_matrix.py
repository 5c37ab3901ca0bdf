"""The authorization matrix (issue 13 §3): every route and page of the app × anonymous, clerk,
reviewer, supervisor, finance, admin → what each gets, in ONE table, run in full against the
real app (Temporal's time-skipping server and a worker behind it).

A route added without a row here fails `test_every_route_has_a_row`. The cells:
  OK     authorization passed: the route's own answer (200, 201, 303 onwards, or a 404/409/422
         for the sample IDs and empty bodies used here), never 401, 403 or 5xx
  401    the API asks for a token
  LOGIN  a page sends the browser to the sign-in page (303 to /staff/login)
  403    refused for the role (and audited: test_refusals_are_audited)

The `admin` role manages users, regions, calendars and policy files (and moves the simulated
clock): it sees no case data and touches no money. Object-level rules (a task of another
group or claimed by someone else, a case of another region) are tested below the matrix."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.pages.web import CSRF_FIELD, SESSION_COOKIE, csrf_token
from api.security import check_token
from core.settings import Settings
from db.models import AuditEntry
from db.seed import demo_credentials

OK, LOGIN = "OK", "LOGIN"
WHO = ("anonymous", "clerk", "reviewer", "supervisor", "finance", "admin")


def row(*cells: Any) -> dict[str, Any]:
    """One row: anonymous, clerk, reviewer, supervisor, finance, admin."""
    return dict(zip(WHO, cells, strict=True))


# the usual rows
PUBLIC = row(OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(401, OK, OK, OK, OK, OK)
STAFF = row(401, OK, OK, OK, OK, 403)  # case data: no admin
INTAKE = row(401, OK, 403, OK, 403, 403)  # clerks and supervisors file and check in
SUPERVISOR = row(401, 403, 403, OK, 403, 403)
MONEY = row(401, 403, 403, OK, OK, 403)  # finance, and supervisors
FINANCE = row(401, 403, 403, 403, OK, 403)
ADMIN = row(401, 403, 403, 403, 403, OK)
PAGE_ANY = row(LOGIN, OK, OK, OK, OK, OK)
PAGE_STAFF = row(LOGIN, OK, OK, OK, OK, 403)
PAGE_INTAKE = row(LOGIN, OK, 403, OK, 403, 403)
PAGE_SUPERVISOR = row(LOGIN, 403, 403, OK, 403, 403)
PAGE_MONEY = row(LOGIN, 403, 403, OK, OK, 403)
PAGE_ADMIN = row(LOGIN, 403, 403, 403, 403, OK)
PAGE_FINANCE = row(LOGIN, 403, 403, 403, OK, 403)

# (method, path) → expected, for every route of the app (the test settings: simulated clock)
MATRIX: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,  # outside production only (test_hardening)
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/api/v1/ping"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): SIGNED_IN,
    ("POST", "/api/v1/auth/logout"): SIGNED_IN,
    ("GET", "/api/v1/auth/me"): SIGNED_IN,
    # signed by the bank / the medical agency (HMAC), not by a staff token: refused alike
    ("POST", "/api/v1/bank/webhook"): row(401, 401, 401, 401, 401, 401),
    ("POST", "/api/v1/medical/webhook"): row(401, 401, 401, 401, 401, 401),
    ("POST", "/api/v1/employer-reports"): INTAKE,
    ("POST", "/api/v1/registrations"): INTAKE,
    ("GET", "/api/v1/cases"): STAFF,
    ("POST", "/api/v1/cases/search"): STAFF,
    ("GET", "/api/v1/cases/{case_id}"): STAFF,
    ("POST", "/api/v1/cases/{case_id}/deadlines/{kind}/extend"): SUPERVISOR,
    ("POST", "/api/v1/cases/{case_id}/check-ins"): INTAKE,
    ("GET", "/api/v1/cases/{case_id}/notice"): STAFF,
    ("GET", "/api/v1/cases/{case_id}/notice.pdf"): STAFF,
    ("GET", "/api/v1/cases/{case_id}/notices"): STAFF,
    ("GET", "/api/v1/cases/{case_id}/notices/{kind}.pdf"): STAFF,
    ("GET", "/api/v1/cases/{case_id}/notices/{kind}"): STAFF,
    ("GET", "/api/v1/tasks"): STAFF,
    ("GET", "/api/v1/tasks/filters"): STAFF,
    ("PUT", "/api/v1/tasks/filters"): STAFF,
    ("DELETE", "/api/v1/tasks/filters/{filter_id}"): STAFF,
    ("GET", "/api/v1/tasks/{task_id}"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/claim"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/assign"): SUPERVISOR,
    ("POST", "/api/v1/tasks/{task_id}/complete"): STAFF,
    ("POST", "/api/v1/reconciliations"): MONEY,
    ("POST", "/api/v1/payment-runs"): FINANCE,
    ("GET", "/api/v1/reconciliations/{day}"): MONEY,
    ("GET", "/api/v1/calendar/years"): SIGNED_IN,
    ("GET", "/api/v1/calendar/years/{year}"): SIGNED_IN,
    ("PUT", "/api/v1/calendar/years/{year}"): ADMIN,
    # the Temporal UI's codec shows every region's workflows in clear: supervisors (of every
    # region) only, decoding audited; no admin (no case data), no region- or group-scoped role
    ("POST", "/api/v1/codec/decode"): SUPERVISOR,
    ("POST", "/api/v1/codec/encode"): SUPERVISOR,
    ("POST", "/staff/codec/decode"): SUPERVISOR,
    ("POST", "/staff/codec/encode"): SUPERVISOR,
    ("GET", "/api/v1/sim/clock"): SIGNED_IN,
    ("POST", "/api/v1/sim/clock/advance"): ADMIN,
    ("GET", "/api/v1/sim/clock/jobs/{job_id}"): ADMIN,
    ("POST", "/api/v1/cases/{case_id}/events"): INTAKE,
    ("POST", "/api/v1/cases/{case_id}/transfers"): INTAKE,
    ("POST", "/api/v1/cases/{case_id}/medical/cash-option"): INTAKE,
    # overpayment recovery (issue 11 §4): staff record and read, finance takes repayments,
    # an offset asked for becomes a supervisor's task (completed as every task)
    ("GET", "/api/v1/recoveries"): STAFF,
    ("POST", "/api/v1/recoveries"): STAFF,
    ("GET", "/api/v1/cases/{case_id}/recoveries"): STAFF,
    ("POST", "/api/v1/recoveries/{recovery_id}/repayments"): FINANCE,
    ("POST", "/api/v1/recoveries/{recovery_id}/offsets"): STAFF,
    # pages
    ("POST", "/staff/cases/{case_id}/events"): PAGE_INTAKE,
    ("POST", "/staff/cases/{case_id}/transfers"): PAGE_INTAKE,
    ("POST", "/staff/cases/{case_id}/medical/cash-option"): PAGE_INTAKE,
    ("GET", "/staff/finance/funds"): PAGE_MONEY,
    ("GET", "/staff/recoveries"): PAGE_MONEY,
    ("POST", "/staff/recoveries/{recovery_id}/repay"): PAGE_FINANCE,
    ("POST", "/staff/recoveries/{recovery_id}/offset"): PAGE_MONEY,
    ("GET", "/staff/supervisor/fraud"): PAGE_SUPERVISOR,
    ("GET", "/staff"): PUBLIC,  # a redirect to /staff/my
    ("GET", "/staff/"): PUBLIC,
    ("GET", "/staff/login"): PUBLIC,
    ("POST", "/staff/login"): row(403, 403, 403, 403, 403, 403),  # no sign-in form nonce
    ("POST", "/staff/logout"): row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),  # ends there
    ("GET", "/staff/lang/{code}"): PUBLIC,
    ("GET", "/staff/my"): PAGE_ANY,  # an admin is sent on to the calendars
    ("GET", "/staff/group"): PAGE_STAFF,
    ("POST", "/staff/filters"): PAGE_STAFF,
    ("POST", "/staff/filters/{filter_id}/delete"): PAGE_STAFF,
    ("GET", "/staff/tasks/{task_id}"): PAGE_STAFF,
    ("POST", "/staff/tasks/{task_id}/claim"): PAGE_STAFF,
    ("POST", "/staff/tasks/{task_id}/unclaim"): PAGE_STAFF,
    ("POST", "/staff/tasks/{task_id}/complete"): PAGE_STAFF,
    ("GET", "/staff/cases"): PAGE_STAFF,
    ("POST", "/staff/cases/search"): PAGE_STAFF,
    ("GET", "/staff/cases/{case_id}"): PAGE_STAFF,
    ("GET", "/staff/cases/{case_id}/notice"): PAGE_STAFF,
    ("GET", "/staff/cases/{case_id}/notice.pdf"): PAGE_STAFF,
    ("GET", "/staff/cases/{case_id}/notices/{kind}.pdf"): PAGE_STAFF,
    ("GET", "/staff/cases/{case_id}/notices/{kind}"): PAGE_STAFF,
    ("POST", "/staff/cases/{case_id}/check-ins"): PAGE_INTAKE,
    ("GET", "/staff/intake/{which}"): PAGE_INTAKE,
    ("POST", "/staff/intake/employer-report"): PAGE_INTAKE,
    ("POST", "/staff/intake/registration"): PAGE_INTAKE,
    ("GET", "/staff/supervisor"): PAGE_SUPERVISOR,
    ("POST", "/staff/supervisor/assign"): PAGE_SUPERVISOR,
    ("POST", "/staff/supervisor/extend"): PAGE_SUPERVISOR,
    ("GET", "/staff/finance"): PAGE_MONEY,
    ("GET", "/staff/finance/runs/{run_id}"): PAGE_MONEY,
    ("GET", "/staff/finance/returns"): PAGE_MONEY,
    ("GET", "/staff/finance/reconciliation"): PAGE_MONEY,
    ("POST", "/staff/finance/reconciliation"): PAGE_MONEY,
    ("GET", "/staff/calendar"): PAGE_ADMIN,
    ("POST", "/staff/calendar"): PAGE_ADMIN,
}

# sample path parameters: unknown objects, so an allowed request ends in the route's own 404
SAMPLE = {
    "case_id": "c-no-such-case",
    "task_id": "no-such-task",
    "kind": "decision",
    "filter_id": "999999",
    "year": "2027",
    "day": "2020-01-01",
    "run_id": "no-such-run",
    "code": "en",
    "which": "registration",
    "job_id": "no-such-job",
    "recovery_id": "999999",
    "offset_id": "999999",
}
DEADLINE_KIND = "registration"


def app_routes(settings: Settings) -> set[tuple[str, str]]:
    """Every (method, path) the app serves (HEAD aside; /static is files)."""
    app = create_app(settings)
    found = set()
    for rc in iter_route_contexts(app.routes):
        for method in getattr(rc, "methods", None) or ():
            if method != "HEAD" and rc.path:
                found.add((method, rc.path))
    return found


def test_every_route_has_a_row(settings: Settings) -> None:
    served = app_routes(settings)
    missing, stale = served - set(MATRIX), set(MATRIX) - served
    assert not missing, f"routes without a row in MATRIX: {sorted(missing)}"
    assert not stale, f"rows of routes the app no longer serves: {sorted(stale)}"


def _url(path: str) -> str:
    for name, value in SAMPLE.items():
        if name == "kind" and "/deadlines/" in path:
            value = DEADLINE_KIND
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no sample value for a parameter of {path}"
    return path


class Caller:
    """Signs in as a demo user (or stays anonymous) and calls one route as they would: the
    API with the bearer token, the pages with the session cookie and its CSRF token."""

    def __init__(self, client: httpx.AsyncClient, who: str, secret: str) -> None:
        self.client, self.who, self.secret = client, who, secret
        self.token: str | None = None

    async def sign_in(self) -> None:
        if self.who == "anonymous":
            return
        r = await self.client.post("/api/v1/auth/token", data=demo_credentials(self.who))
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]

    async def call(self, method: str, path: str) -> httpx.Response:
        url = _url(path)
        headers, cookies, form = {}, {}, None
        page = path.startswith("/staff") and not path.startswith("/staff/codec")
        if self.token and page:
            cookies[SESSION_COOKIE] = self.token
            claims = check_token(self.token, self.secret)
            assert claims is not None
            form = {CSRF_FIELD: csrf_token(self.secret, claims.session_id)}
        elif self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if page and method == "POST" and form is None:
            form = {}
        self.client.cookies.clear()
        for name, value in cookies.items():
            self.client.cookies.set(name, value)
        kwargs: dict[str, Any] = {"headers": headers}
        if method in ("POST", "PUT"):
            if page:
                kwargs["data"] = form
            else:
                kwargs["json"] = {}
        if path.startswith(("/api/v1/codec", "/staff/codec")):
            kwargs["headers"]["X-Namespace"] = "default"
        return await self.client.request(method, url, **kwargs)


def verdict(resp: httpx.Response) -> Any:
    """The cell the answer fills."""
    if resp.status_code in (401, 403):
        return resp.status_code
    if resp.status_code == 303 and resp.headers.get("location", "").startswith("/staff/login"):
        return LOGIN
    if resp.status_code >= 500:
        return f"{resp.status_code} (server error)"
    return OK


async def test_the_matrix_in_full(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    wrong = []
    for who in WHO:
        caller = Caller(api, who, settings.secret_key)
        await caller.sign_in()
        # a logout ends the session: those rows last, signed in again for each
        rows = sorted(MATRIX.items(), key=lambda item: item[0][1].endswith("/logout"))
        for (method, path), expected in rows:
            if path.endswith("/logout"):
                await caller.sign_in()
            resp = await caller.call(method, path)
            got = verdict(resp)
            if got != expected[who]:
                wrong.append(
                    f"{who:10} {method:6} {path}: expected {expected[who]}, got {got} "
                    f"({resp.status_code} {resp.text[:120]!r})"
                )
    assert not wrong, "\n".join(["the matrix differs:", *wrong])


async def test_refusals_are_audited(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    """A 403 of the API and of a page each leave an access_refused row naming the user."""
    admin = Caller(api, "admin", settings.secret_key)
    await admin.sign_in()
    assert (await admin.call("GET", "/api/v1/cases")).status_code == 403
    assert (await admin.call("GET", "/staff/cases")).status_code == 403
    clerk = Caller(api, "clerk", settings.secret_key)
    await clerk.sign_in()
    assert (await clerk.call("POST", "/api/v1/sim/clock/advance")).status_code == 403
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "access_refused")
            .order_by(col(AuditEntry.id).desc())
            .limit(3)
        ).all()
    seen = {(r.actor, r.data["method"], r.entity_id) for r in rows}
    assert seen == {
        ("admin", "GET", "/api/v1/cases"),
        ("admin", "GET", "/staff/cases"),
        ("clerk", "POST", "/api/v1/sim/clock/advance"),
    }
    assert all(r.reason for r in rows)
