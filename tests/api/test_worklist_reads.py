"""The worklist reads on SQLAlchemy Core (GET /api/v1/tasks, /tasks/{id}) write exactly what the
ORM rows through `TaskOut` wrote (ARCHITECTURE.md REST contract), and the per-process user
cache never lets a deactivated user in once the change is known (api/usercache.py)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from pydantic import TypeAdapter
from sqlalchemy import Engine, update
from sqlmodel import Session, SQLModel, col, select

from api.main import create_app
from api.pages.web import SESSION_COOKIE
from api.schemas import TaskOut
from api.security import ALGORITHM, create_token
from api.services import tasks as services
from core.settings import Settings
from db import task_reads
from db import tasks as task_rows
from db.models import User
from domain.identifiers import mask_national_id
from tests.utils import factories as f
from workflows import ids

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


async def _client(settings: Settings, **over: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The real app without Temporal (these reads never touch it)."""
    app = create_app(
        settings.model_copy(update={"clock": "real", "temporal_address": "127.0.0.1:1", **over})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


@pytest.fixture
async def reads_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings):
        yield client


def _user(engine: Engine, roles: str = "reviewer") -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    with Session(engine) as session:
        session.add(User(username=name, full_name="测试", password_hash="!", roles=roles))
        session.commit()
    return name


def _bearer(settings: Settings, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(username, settings.secret_key, 10)}"}


def _seed_tasks(engine: Engine, group: str, holder: str) -> str:
    """Tasks of one fresh group: due dates (one without), priorities, statuses, escalation,
    and one with a case row (claimant name and masked identity number)."""
    tasks, cases = SQLModel.metadata.tables["tasks"], SQLModel.metadata.tables["cases"]
    with_case = uuid.uuid4().hex[:20]
    rows: list[dict[str, Any]] = []
    spec: list[tuple[int | None, int, str, bool]] = [
        (1, 50, "open", False),
        (1, 70, "claimed", False),
        (None, 50, "open", False),
        (-2, 60, "open", True),
        (3, 50, "completed", False),
        (5, 40, "open", False),
        (2, 50, "claimed", False),
    ]
    for i, (due_days, priority, status, escalated) in enumerate(spec):
        case_id = with_case if i == 0 else uuid.uuid4().hex[:20]
        rows.append(
            dict(
                task_id=f"case-{case_id}:review_claim:{i}",
                kind="review_claim",
                case_id=case_id,
                workflow_id=ids.case(case_id),
                group=group,
                original_group="reviewer" if escalated else None,
                assignee=holder if status == "claimed" else None,
                status=status,
                priority=priority,
                escalated=escalated,
                title=f"审核 {i} \u2028",
                details={"n": i},
                created_at=NOW - timedelta(days=10, microseconds=i * 123457),
                due_at=None if due_days is None else NOW + timedelta(days=due_days),
                completed_at=NOW if status == "completed" else None,
                completed_by=holder if status == "completed" else None,
                outcome="approve" if status == "completed" else None,
                reason="理由" if status == "completed" else None,
            )
        )
    with engine.begin() as conn:
        conn.execute(tasks.insert(), rows)
        conn.execute(
            cases.insert(),
            [
                dict(
                    case_id=with_case,
                    region_code="220100",
                    status="in_review",
                    stage="review",
                    claimant_name="刘测试",
                    national_id_masked=mask_national_id(f.national_id()),
                    deadline_details={},
                    synced_seq=1,
                    opened_at=NOW,
                    updated_at=NOW,
                )
            ],
        )
    return str(rows[0]["task_id"])


def _as_before(engine: Engine, filters: task_rows.TaskFilters, limit: int, offset: int) -> Any:
    """What the endpoint answered before: ORM rows through TaskOut, and the total."""
    with Session(engine) as session:
        rows, total = task_rows.list_tasks(session, filters=filters, limit=limit, offset=offset)
    outs = []
    for row in rows:
        out = TaskOut.model_validate(row.task, from_attributes=True)
        out.claimant_name, out.national_id_masked = row.claimant_name, row.national_id_masked
        outs.append(out)
    return json.loads(TypeAdapter(list[TaskOut]).dump_json(outs)), total


def _ordered(value: Any) -> Any:
    """JSON with the key order made visible, so that comparing checks it too."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


async def test_task_list_and_one_task_json_are_what_task_out_wrote(
    reads_api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    """Same fields, order, values, time format, masking, paging and X-Total-Count."""
    group, holder = f"g{uuid.uuid4().hex[:8]}", _user(engine)
    first = _seed_tasks(engine, group, holder)
    h = _bearer(settings, holder)
    due_before, due_after = NOW + timedelta(days=3), datetime(2026, 11, 21, tzinfo=UTC)
    active = {"group": group, "status": "active"}
    cases: list[tuple[dict[str, Any], task_rows.TaskFilters]] = [
        ({"group": group}, task_rows.TaskFilters(group=group)),
        (active, task_rows.TaskFilters(group=group, status="active")),
        (
            {**active, "escalated": "false", "due_before": "2026-11-23T08:30:00Z"},
            task_rows.TaskFilters(
                group=group, status="active", escalated=False, due_before=due_before
            ),
        ),
        ({"group": group, "sort": "priority"}, task_rows.TaskFilters(group=group, sort="priority")),
        (
            {"group": group, "status": "claimed"},
            task_rows.TaskFilters(group=group, status="claimed"),
        ),
        (
            {"assignee": "me", "status": "active"},
            task_rows.TaskFilters(assignee=holder, status="active"),
        ),
        (
            {"group": group, "due_after": "2026-11-21T00:00:00Z"},
            task_rows.TaskFilters(group=group, due_after=due_after),
        ),
    ]
    for params, filters in cases:
        for limit, offset in ((50, 0), (2, 0), (2, 2), (2, 6), (3, 9)):
            resp = await reads_api.get(
                "/api/v1/tasks", params={**params, "limit": limit, "offset": offset}, headers=h
            )
            assert resp.status_code == 200, resp.text
            expected, total = _as_before(engine, filters, limit, offset)
            assert _ordered(resp.json()) == _ordered(expected), (params, limit, offset)
            assert resp.headers["X-Total-Count"] == str(total), (params, limit, offset)
    masked = (await reads_api.get("/api/v1/tasks", params={"group": group}, headers=h)).json()
    with_case = next(t for t in masked if t["task_id"] == first)
    assert with_case["claimant_name"] == "刘测试" and "*" in with_case["national_id_masked"]

    one = await reads_api.get(f"/api/v1/tasks/{first}", headers=h)
    assert one.status_code == 200
    with Session(engine) as session:
        task = services.get_task(session, first)
        expected_one = json.loads(
            TaskOut.model_validate(task, from_attributes=True).model_dump_json()
        )
    assert _ordered(one.json()) == _ordered(expected_one)
    missing = await reads_api.get("/api/v1/tasks/nope", headers=h)
    assert missing.status_code == 404 and missing.json() == {"detail": "no task nope"}
    bad = await reads_api.get("/api/v1/tasks", params={"status": "done"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]
    too_many = await reads_api.get("/api/v1/tasks", params={"limit": 501}, headers=h)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_nav_counts_are_my_and_my_groups_active_tasks(engine: Engine) -> None:
    group, holder = f"g{uuid.uuid4().hex[:8]}", _user(engine)
    _seed_tasks(engine, group, holder)
    with task_reads.read(engine) as conn:
        counts = task_reads.nav_counts(
            conn, username=holder, groups=frozenset({group, "nobody-group"})
        )
    assert counts == {"mine": 2, "group": 6}


async def test_deactivated_user_is_rejected_at_once_after_an_in_process_change(
    reads_api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    """A change through an ORM session of this process clears the cache when it commits."""
    name = _user(engine)
    h = _bearer(settings, name)
    cookie = {"Cookie": f"{SESSION_COOKIE}={create_token(name, settings.secret_key, 10)}"}
    assert (await reads_api.get("/api/v1/tasks", headers=h)).status_code == 200  # now cached
    assert (await reads_api.get("/staff/my", headers=cookie)).status_code == 200
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == name)).one()
        user.active = False
        session.add(user)
        session.commit()
    assert (await reads_api.get("/api/v1/tasks", headers=h)).status_code == 401
    page = await reads_api.get("/staff/my", headers=cookie)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")


async def test_roles_removed_by_an_orm_bulk_update_take_effect_at_once(
    reads_api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    name = _user(engine, roles="supervisor,reviewer")
    cookie = {"Cookie": f"{SESSION_COOKIE}={create_token(name, settings.secret_key, 10)}"}
    assert (await reads_api.get("/staff/supervisor", headers=cookie)).status_code == 200
    with Session(engine) as session:
        stmt = update(User).where(col(User.username) == name).values(roles="reviewer")
        session.execute(stmt)
        session.commit()
    assert (await reads_api.get("/staff/supervisor", headers=cookie)).status_code == 403


async def test_change_by_another_process_takes_effect_within_the_ttl(
    settings: Settings, engine: Engine
) -> None:
    """SQL outside this process's ORM sessions (another worker, a script): the cached row
    is used until its TTL (USER_CACHE_SECONDS) runs out, then the change applies."""
    async for client in _client(settings, user_cache_seconds=0.5):
        name = _user(engine)
        h = _bearer(settings, name)
        assert (await client.get("/api/v1/tasks", headers=h)).status_code == 200
        with engine.begin() as conn:  # Core, as another process would: no ORM event here
            users = SQLModel.metadata.tables["users"]
            conn.execute(users.update().where(users.c.username == name).values(active=False))
        assert (await client.get("/api/v1/tasks", headers=h)).status_code == 200  # within TTL
        await asyncio.sleep(0.6)
        assert (await client.get("/api/v1/tasks", headers=h)).status_code == 401


async def test_without_cache_every_request_reads_the_user(
    settings: Settings, engine: Engine
) -> None:
    async for client in _client(settings, user_cache_seconds=0):
        name = _user(engine)
        h = _bearer(settings, name)
        assert (await client.get("/api/v1/tasks", headers=h)).status_code == 200
        with engine.begin() as conn:
            users = SQLModel.metadata.tables["users"]
            conn.execute(users.update().where(users.c.username == name).values(active=False))
        assert (await client.get("/api/v1/tasks", headers=h)).status_code == 401


async def test_a_remembered_token_still_expires_and_a_forged_one_is_refused(
    reads_api: httpx.AsyncClient, engine: Engine, settings: Settings
) -> None:
    name = _user(engine)
    soon = int(time.time()) + 2
    claims = {"sub": name, "iat": int(time.time()), "exp": soon}
    token = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    h = {"Authorization": f"Bearer {token}"}
    assert (await reads_api.get("/api/v1/tasks", headers=h)).status_code == 200
    forged = jwt.encode(claims, "another-secret-of-enough-length!", ALGORITHM)
    bad = {"Authorization": f"Bearer {forged}"}
    assert (await reads_api.get("/api/v1/tasks", headers=bad)).status_code == 401
    await asyncio.sleep(max(0.0, soon - time.time()) + 0.2)
    assert (await reads_api.get("/api/v1/tasks", headers=h)).status_code == 401
    unknown = _bearer(settings, "no-such-user")
    assert (await reads_api.get("/api/v1/tasks", headers=unknown)).status_code == 401
