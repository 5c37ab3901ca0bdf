"""The medical-insurance agency misbehaving, on the time-skipping server with the agency over
real HTTP (issue 12): down for two days (retries, then a finance task, then success, nothing
doubled), answering late (the signed webhook applies the answer), rejecting a person's lines
(a clerk re-declares or withdraws them through the worklist)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from db.medical import MedicalDeclarationLine
from domain.medical import month_key
from iso20022.signing import sign
from medagency.protocol import SIGNATURE_HEADER
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    REGION,
    MedicalStack,
    advance,
    batch,
    complete,
    coverage_status,
    eventually,
    found,
    keep_history,
    lines,
    premiums,
    start_declaration,
    task_of,
    this_month,
)

database_url, engine, settings, stack = medical_stack.FIXTURES


async def test_agency_down_for_two_days_retries_alerts_finance_then_declares_once(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """Declaration retries with backoff; past the policy's limit (24 h) finance gets a
    `medical_agency_down` task; once the agency is back the batch is declared, its premiums
    owed once, and the task closed by the system."""
    now, month = await env.get_current_time(), await this_month(env)
    covers = [stack.enrol(f"medD000000000000000{i}", month.replace(day=2 + i), now) for i in (1, 2)]
    await stack.agency("POST", "/admin/mode", json={"down": True})
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        await advance(env, 2)
        alert = await found(lambda: task_of(stack.engine, "medical_agency_down"))
        assert alert.group == "finance" and alert.status == "open"
        assert premiums(stack.engine) == []
        key = f"{REGION}-{month:%Y%m}"
        assert batch(stack.engine, key).status == "assembled"  # type: ignore[union-attr]
        await stack.agency("POST", "/admin/mode", json={"down": False})
        await advance(env, 0.06)  # past the next retry (backoff capped at an hour)
        st = await handle.result()
        await keep_history("agency_down_then_declared", handle)
    assert st.accepted == 2 and st.batches == [key]
    assert [(p.case_id, p.month) for p in premiums(stack.engine)] == [
        (c.case_id, month_key(month)) for c in covers
    ]
    [sent] = await stack.agency("GET", "/admin/batches")
    assert (sent["lines"], sent["receipts"]) == (2, 1)
    closed = task_of(stack.engine, "medical_agency_down")
    assert closed is not None and closed.status == "completed" and closed.completed_by == "system"


async def test_a_late_answer_is_applied_from_the_agencys_signed_webhook(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """The agency takes the batch now (202) and answers an hour later by a signed webhook:
    the API checks and keeps it, the declaration applies it, well before it would poll
    (every 6 hours)."""
    now, month = await env.get_current_time(), await this_month(env)
    cover = stack.enrol("medE0000000000000001", month.replace(day=3), now)
    await stack.agency("POST", "/admin/mode", json={"late_hours": 1})
    key = f"{REGION}-{month:%Y%m}"
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        declared = await eventually(
            lambda: batch(stack.engine, key), lambda b: b is not None and b.status == "declared"
        )
        assert declared is not None and declared.answer is None
        await advance(env, 1.5 / 24)
        applied = await eventually(
            lambda: batch(stack.engine, key), lambda b: b is not None and b.status == "applied"
        )
        assert applied is not None and applied.answered_at is not None
        assert applied.declared_at is not None
        assert applied.answered_at - applied.declared_at < timedelta(hours=6)  # not a poll
        [hook] = await stack.agency("GET", "/admin/webhooks")
        assert hook["delivered"] and hook["batch_key"] == key
        await handle.result()
        await keep_history("late_answer_by_webhook", handle)
    assert [(p.case_id, p.month) for p in premiums(stack.engine)] == [
        (cover.case_id, month_key(month))
    ]


async def test_rejected_lines_go_to_a_clerk_who_redeclares_or_withdraws_them(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """The agency rejects two people's lines (their data does not match its register): a
    clerk task each. One is corrected and re-declared in a batch of its own (accepted, its
    premium owed); the other is withdrawn with a reason (its cover withdrawn, nothing owed)."""
    now, month = await env.get_current_time(), await this_month(env)
    fixed = stack.enrol("medF0000000000000001", month.replace(day=3), now)
    dropped = stack.enrol("medF0000000000000002", month.replace(day=4), now)
    fine = stack.enrol("medF0000000000000003", month.replace(day=5), now)
    refs = [fixed.person_ref, dropped.person_ref]
    await stack.agency("POST", "/admin/mode", json={"reject_persons": refs})
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        key = f"{REGION}-{month:%Y%m}"
        first = await found(lambda: task_of(stack.engine, "medical_line_rejected", fixed.case_id))
        second = await found(
            lambda: task_of(stack.engine, "medical_line_rejected", dropped.case_id)
        )
        assert first.group == "clerk" and "does not match" in first.details["reasons"][0]
        assert [ln.status for ln in lines(stack.engine, fixed.case_id)] == ["rejected"]
        assert [p.case_id for p in premiums(stack.engine)] == [fine.case_id]

        await stack.agency("POST", "/admin/mode", json={"reject_persons": []})
        no_reason = await complete(stack, second.task_id, "clerk", outcome="withdraw")
        assert no_reason.status_code == 422, no_reason.text
        unknown = await complete(
            stack, first.task_id, "clerk", outcome="redeclare", data={"national_id": "x"}
        )
        assert unknown.status_code == 422 and "national_id" in unknown.text, unknown.text
        wrong = await complete(stack, first.task_id, "finance", outcome="redeclare")
        assert wrong.status_code == 403, wrong.text
        done = await complete(stack, first.task_id, "clerk", outcome="redeclare")
        assert done.status_code == 200, done.text
        withdrawn = await complete(
            stack, second.task_id, "clerk", outcome="withdraw", reason="insured by a new employer"
        )
        assert withdrawn.status_code == 200, withdrawn.text
        st = await handle.result()
        await keep_history("rejected_redeclared_and_withdrawn", handle)
    assert st.batches == [key, f"{key}-R1"] and sorted(st.rejected_cases) == sorted(
        [fixed.case_id, dropped.case_id]
    )
    assert [(ln.batch_key, ln.status) for ln in lines(stack.engine, fixed.case_id)] == [
        (f"{key}-R1", "accepted")
    ]
    assert [ln.status for ln in lines(stack.engine, dropped.case_id)] == ["withdrawn"]
    assert sorted(p.case_id for p in premiums(stack.engine)) == [fixed.case_id, fine.case_id]
    assert coverage_status(stack.engine, dropped.case_id) == "withdrawn"
    assert coverage_status(stack.engine, fixed.case_id) == "enrolled"
    batches = {b["batch_key"]: b for b in await stack.agency("GET", "/admin/batches")}
    assert batches[f"{key}-R1"]["lines"] == 1


def _declared_for(engine: Engine, line_id: str, person_ref: str) -> None:
    """Our line's person reference (the agency's answer names the one it was declared for)."""
    with Session(engine) as session:
        line = session.exec(
            select(MedicalDeclarationLine).where(MedicalDeclarationLine.line_id == line_id)
        ).one()
        line.person_ref = person_ref
        session.add(line)
        session.commit()


async def _webhook(stack: MedicalStack, body: dict[str, Any], secret: str | None) -> int:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(raw, secret)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as api:
        resp = await api.post("/api/v1/medical/webhook", content=raw, headers=headers)
    return resp.status_code


async def test_an_answer_naming_what_we_did_not_declare_is_refused_then_a_task_and_applied_once(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """Issue 12 "Bad input", over HTTP while the declaration waits: webhooks with a bad or
    no signature (401) or naming a line or person we did not declare (422) keep nothing;
    when the agency's own answer names a person we did not declare, its webhook is refused
    and the poll becomes a supervisor's `system_error` task (not a silent poll every 6
    hours); once the cause is fixed and the task completed, the answer is applied once."""
    now, month = await env.get_current_time(), await this_month(env)
    cover = stack.enrol("medU0000000000000001", month.replace(day=3), now)
    await stack.agency("POST", "/admin/mode", json={"late_hours": 1})
    key = f"{REGION}-{month:%Y%m}"
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        await eventually(
            lambda: batch(stack.engine, key), lambda b: b is not None and b.status == "declared"
        )
        [line] = lines(stack.engine, cover.case_id)
        ours = {"line_id": line.line_id, "person_ref": line.person_ref, "result": "accepted"}
        answer: dict[str, Any] = {
            "batch_key": key,
            "region_code": REGION,
            "month": f"{month:%Y-%m}",
            "status": "answered",
            "answered_at": now.isoformat(),
            "lines": [ours],
        }
        assert await _webhook(stack, answer, None) == 401
        assert await _webhook(stack, answer, "not-the-shared-secret") == 401
        for wrong in ({"line_id": "nope"}, {"person_ref": "someone-else"}):
            bad = {**answer, "lines": [{**ours, **wrong}]}
            assert await _webhook(stack, bad, medical_stack.SECRET) == 422
        still = batch(stack.engine, key)
        assert still is not None and (still.status, still.answer) == ("declared", None)

        _declared_for(stack.engine, line.line_id, "not-the-agencys")  # its answer: unknown
        await advance(env, 7 / 24)  # its webhook at 1 h refused, the poll at 6 h too
        task = await found(lambda: task_of(stack.engine, "system_error", key))
        assert task.group == "supervisor" and task.status == "open"
        refused = batch(stack.engine, key)
        assert refused is not None and refused.answer is None
        assert "unknown person" in (refused.last_error or "")
        assert premiums(stack.engine) == []

        _declared_for(stack.engine, line.line_id, line.person_ref)  # the cause fixed
        done = await complete(stack, task.task_id, "supervisor", outcome="retry", reason="fixed")
        assert done.status_code == 200, done.text
        st = await handle.result()
        await keep_history("answer_refused_then_task", handle)
    assert (st.status, st.accepted) == ("done", 1)
    assert [(p.case_id, p.month) for p in premiums(stack.engine)] == [
        (cover.case_id, month_key(month))
    ]
    [sent] = await stack.agency("GET", "/admin/batches")
    assert (sent["lines"], sent["receipts"]) == (1, 1)  # declared once
