"""Seed data of the worklist benchmark: users by role, tasks by kind with a realistic spread of
statuses, due dates and escalations, ~5% with a case row (for the masked-ID join)."""

from __future__ import annotations

import random
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.config import Config
from load import ROOT
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from api.security import create_token
from domain.identifiers import mask_national_id
from domain.tasks import ESCALATION_PRIORITY_RAISE, TASK_KINDS
from workflows import ids

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "ui_bench"

# share of users per role (supervisors also review) and of tasks per kind
ROLE_MIX = {"clerk": 35, "reviewer": 35, "supervisor": 10, "finance": 15, "admin": 5}

KIND_MIX = {
    "review_claim": 40,
    "missed_check_in": 18,
    "transfer_in": 5,
    "employer_report_overdue": 8,
    "late_registration": 4,
    "payment_returned": 8,
    "reconciliation_mismatch": 5,
    "payment_run_release": 2,
    "payment_run_approval": 2,
    "escalation": 8,
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass
class Seeded:
    now: datetime
    tokens: dict[str, str]  # username -> bearer token
    claimers: list[str]  # users holding at least one active task
    reviewers: list[str]
    active_task_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def _case_id(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=20))


def _national_id(rng: random.Random) -> str:
    return f"2201{rng.randrange(10**13):013d}{rng.choice('0123456789X')}"


def seed(engine: Engine, n_tasks: int, n_users: int, secret: str, rng: random.Random) -> Seeded:
    """Bulk-insert users, ~5% of tasks with a case row, and the tasks; then ANALYZE (and on
    PostgreSQL VACUUM the tasks, as autovacuum does on a live table, so that counts can be
    index-only scans)."""
    now = datetime.now(UTC)
    tables = SQLModel.metadata.tables
    users: list[dict[str, Any]] = []
    by_role: dict[str, list[str]] = {role: [] for role in ROLE_MIX}
    roles = rng.choices(list(ROLE_MIX), weights=list(ROLE_MIX.values()), k=n_users)
    for i, role in enumerate(roles):
        name = f"b{i:05d}"
        by_role[role].append(name)
        role_str = "supervisor,reviewer" if role == "supervisor" else role
        full = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2))
        users.append(
            dict(username=name, full_name=full, password_hash="!bench", roles=role_str, active=True)
        )
    cases, tasks = [], []
    held: dict[str, int] = {}
    active_ids: list[str] = []
    kinds = rng.choices(list(KIND_MIX), weights=list(KIND_MIX.values()), k=n_tasks)
    for i, kind in enumerate(kinds):
        spec = TASK_KINDS[kind]
        case_id = _case_id(rng)
        if rng.random() < 0.05:
            nid = _national_id(rng)
            opened = now - timedelta(days=rng.uniform(0, 400))
            cases.append(
                dict(
                    case_id=case_id,
                    region_code=rng.choice(["220100", "220200", "330100"]),
                    status=rng.choice(["in_review", "active", "active", "suspended"]),
                    stage="review",
                    claimant_name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                    national_id_masked=mask_national_id(nid),
                    national_id_hash=secrets.token_hex(32),
                    deadline_details={},
                    synced_seq=1,
                    opened_at=opened,
                    updated_at=opened,
                )
            )
        created = now - timedelta(days=rng.uniform(0, 365))
        due = created + timedelta(days=15 if kind == "review_claim" else 5)
        recent = now - created < timedelta(days=45)
        active = rng.random() < (0.85 if recent else 0.12)
        group, original, priority, escalated, escalated_at = (
            spec.group,
            None,
            spec.priority,
            False,
            None,
        )
        if (active and due < now and rng.random() < 0.7) or (not active and rng.random() < 0.05):
            group, original, escalated, escalated_at = "supervisor", spec.group, True, due
            priority += ESCALATION_PRIORITY_RAISE
        members = by_role[spec.group] or by_role["supervisor"]
        row: dict[str, Any] = dict(
            task_id=f"case-{case_id}:{kind}:{i}",
            kind=kind,
            case_id=case_id,
            workflow_id=ids.case(case_id),
            group=group,
            original_group=original,
            assignee=None,
            status="open",
            priority=min(priority, 100),
            escalated=escalated,
            title=f"{kind} {case_id[:6]}",
            details={"bench": True, "n": i},
            created_at=created,
            due_at=due,
            reminded_at=due - timedelta(days=1) if due - timedelta(days=1) < now else None,
            escalated_at=escalated_at,
            completed_at=None,
            completed_by=None,
            outcome=None,
            reason=None,
            result=None,
        )
        if active:
            active_ids.append(row["task_id"])
            if rng.random() < 0.45:
                holder = rng.choice(by_role["supervisor"] if escalated else members)
                row.update(assignee=holder, status="claimed")
                held[holder] = held.get(holder, 0) + 1
        else:
            who = rng.choice(members)
            done = min(created + timedelta(days=rng.uniform(0.1, 20)), now)
            row.update(
                assignee=who,
                status="completed",
                completed_at=done,
                completed_by=who,
                outcome=sorted(spec.outcomes)[0],
                result={},
            )
        tasks.append(row)
    with engine.begin() as conn:
        for name, rows in (("users", users), ("cases", cases), ("tasks", tasks)):
            for start in range(0, len(rows), 5000):
                conn.execute(tables[name].insert(), rows[start : start + 5000])
        conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # as autovacuum would have: the visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tasks"))
    tokens = {u["username"]: create_token(u["username"], secret, 600) for u in users}
    statuses = {s: sum(1 for t in tasks if t["status"] == s) for s in ("open", "claimed")}
    return Seeded(
        now=now,
        tokens=tokens,
        claimers=sorted(held),
        reviewers=by_role["reviewer"],
        active_task_ids=active_ids,
        counts={
            "users": len(users),
            "tasks": len(tasks),
            "cases": len(cases),
            "active": len(active_ids),
            **statuses,
            "escalated_active": sum(
                1 for t in tasks if t["escalated"] and t["status"] != "completed"
            ),
        },
    )


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def postgres_url(db: str = PG_DB) -> str | None:
    """A fresh scratch database `db` on 127.0.0.1:5432, or None when PostgreSQL does not answer."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=2).close()
    except OSError:
        return None
    import psycopg2

    for maintenance in ("postgres", "test"):
        try:
            conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=maintenance)
        except psycopg2.OperationalError:
            continue
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {db}")
            cur.execute(f"CREATE DATABASE {db}")
        conn.close()
        return f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{db}"
    return None
