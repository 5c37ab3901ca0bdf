"""What an activity takes from the bank: read up to the size cap, the signature over the
bank's timestamp and the body checked against our clock (read after the answer: the wall
clock, or the test server's in simulated mode), the message ID taken as a nonce. An answer
that fails any of these is a permanent failure (BANK_UNVERIFIED): never applied, never
retried as is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from google.protobuf.empty_pb2 import Empty
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.bank_http import bank_client
from core.settings import Settings
from db.bank_messages import take
from iso20022.bank_signature import BadSignature, check
from payloads.errors import BANK_UNVERIFIED


async def now(settings: Settings, at: datetime) -> datetime:
    """Our clock inside an activity, read after the bank answered: the wall clock, or in
    simulated mode the test server's time (it may have moved on while the activity ran).
    Without a client (a test's ActivityEnvironment): when this attempt was scheduled, never
    before `at` (the workflow's time when it asked)."""
    if settings.clock != "simulated":
        return datetime.now(UTC)
    try:
        client = activity.client()
    except RuntimeError:
        try:
            scheduled = activity.info().current_attempt_scheduled_time.astimezone(UTC)
        except RuntimeError:  # not in an activity at all
            return at
        return max(at, scheduled)
    resp = await client.test_service.get_current_time(Empty())
    return resp.time.ToDatetime(tzinfo=UTC)


def unverified(why: str) -> ApplicationError:
    return ApplicationError(f"bank answer refused: {why}", type=BANK_UNVERIFIED, non_retryable=True)


async def get(settings: Settings, path: str, **params: str) -> tuple[int, bytes, httpx.Headers]:
    """GET from the bank: status, body (capped), headers. On the process's kept client
    (activities/bank_http.py: connections reused), in a thread off the event loop."""
    return await asyncio.to_thread(_get, settings, path, params)


def _get(settings: Settings, path: str, params: dict[str, str]) -> tuple[int, bytes, httpx.Headers]:
    cap = settings.bank_message_max_bytes
    http = bank_client(settings.bank_url)
    with http.stream("GET", path, params=params) as resp:
        if not resp.is_success:
            return resp.status_code, resp.read(), resp.headers
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise unverified(f"answer of {declared} bytes over the cap of {cap}")
        body = bytearray()
        for chunk in resp.iter_bytes():
            body += chunk
            if len(body) > cap:
                raise unverified(f"answer over the cap of {cap} bytes")
        return resp.status_code, bytes(body), resp.headers


async def verify(settings: Settings, body: bytes, headers: httpx.Headers, at: datetime) -> None:
    """The bank's signature over its timestamp and `body`, within the window of our clock."""
    try:
        check(
            body,
            settings.bank_webhook_secret,
            headers,
            await now(settings, at),
            settings.bank_signature_window_seconds,
        )
    except BadSignature as err:
        raise unverified(str(err)) from None


def take_nonce(engine: Engine, msg_id: str, kind: str, at: datetime) -> None:
    """The message ID taken (at `at`); a second time is a replay."""
    if not take(engine, msg_id, kind, at):
        raise unverified(f"{kind} message ID {msg_id} seen before (a replay)")
