"""Talking to the medical-insurance agency over HTTP: declare a batch (its key makes a second
sending a no-op at the agency), ask for a late answer. A kept answer has been checked against
what we declared (activities/medical_wire.py); one that cannot be applied is noted on the
batch and not kept, and the batch waits for a good one."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.medical_wire import (
    AnswerRefused,
    declaration,
    keep_answer,
    note_refusal,
    read_answer,
)
from core.settings import Settings
from db.engine import session_scope
from db.medical import MedicalDeclaration
from payloads.errors import AGENCY_ANSWER_REFUSED
from payloads.medical import BatchInput

TIMEOUT = httpx.Timeout(60.0, connect=5.0)
JSON = {"Content-Type": "application/json"}


class MedicalAgencyActivities:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        # one client for the process's life: no TLS context built per call, connections kept
        self.http = httpx.Client(base_url=settings.medagency_url, timeout=TIMEOUT)

    @activity.defn
    async def declare_batch(self, inp: BatchInput) -> bool:
        """Send the batch; True when its answer is kept now, False when it comes later.
        An unreachable or failing agency raises (retried); a batch the agency refuses as
        malformed or conflicting is not retried."""
        if await asyncio.to_thread(self._answered, inp.batch_key):
            return True  # the agency has it and we have its answer: nothing to send
        decl = await asyncio.to_thread(declaration, self.engine, inp.batch_key)
        body = decl.model_dump_json()
        resp = await asyncio.to_thread(self.http.post, "/declarations", content=body, headers=JSON)
        if resp.status_code in (409, 422):
            raise ApplicationError(
                f"the agency refused batch {inp.batch_key}: {resp.status_code} {resp.text[:300]}",
                non_retryable=True,
            )
        if resp.status_code not in (200, 202):
            raise RuntimeError(f"agency answered {resp.status_code}: {resp.text[:200]}")
        await asyncio.to_thread(self._declared, inp.batch_key, inp.at)
        if resp.status_code == 202:
            return False
        return await self._keep(inp.batch_key, resp.content, inp.at)

    @activity.defn
    async def poll_batch(self, inp: BatchInput) -> bool:
        """Ask for the batch's answer (the fallback for a lost webhook); a batch the agency
        does not know is declared again (its key keeps that a no-op otherwise). An answer
        that cannot be applied is noted on the batch and fails permanently
        (AGENCY_ANSWER_REFUSED): the declaration opens a task rather than poll it forever."""
        resp = await asyncio.to_thread(self.http.get, f"/declarations/{inp.batch_key}")
        if resp.status_code == 404:
            activity.logger.warning("agency does not know batch %s: declaring it", inp.batch_key)
            return await self.declare_batch(inp)
        if resp.status_code == 202:
            return False
        if resp.status_code != 200:
            raise RuntimeError(f"agency answered {resp.status_code}: {resp.text[:200]}")
        return await self._keep(inp.batch_key, resp.content, inp.at, refused_fails=True)

    async def _keep(
        self, batch_key: str, body: bytes, at: datetime, refused_fails: bool = False
    ) -> bool:
        try:
            answer = read_answer(body)
            if answer.batch_key != batch_key:
                raise AnswerRefused(f"asked for batch {batch_key}, answered {answer.batch_key}")
            await asyncio.to_thread(keep_answer, self.engine, answer, at)
            return True
        except AnswerRefused as err:
            activity.logger.warning("answer to batch %s refused: %s", batch_key, err)
            await asyncio.to_thread(note_refusal, self.engine, batch_key, str(err))
            if refused_fails:
                raise ApplicationError(
                    f"the agency's answer to batch {batch_key} was refused: {err}",
                    type=AGENCY_ANSWER_REFUSED,
                    non_retryable=True,
                ) from None
            return False

    def _answered(self, batch_key: str) -> bool:
        with session_scope(self.engine) as session:
            batch = session.get(MedicalDeclaration, batch_key)
            return batch is not None and batch.answer is not None

    def _declared(self, batch_key: str, at: datetime) -> None:
        with session_scope(self.engine) as session:
            batch = session.get(MedicalDeclaration, batch_key)
            if batch is not None and batch.status == "assembled":
                batch.status, batch.declared_at = "declared", at
                session.add(batch)
