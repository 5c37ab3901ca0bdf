"""Delivering late answers to our webhook, signed (HMAC-SHA256), retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx

from iso20022.signing import sign
from medagency.outbox import Webhook
from medagency.protocol import SIGNATURE_HEADER
from medagency.service import Agency

log = logging.getLogger("medagency.webhooks")


async def deliver_pending(agency: Agency, client: httpx.AsyncClient) -> int:
    """Send every answer whose time has come; the number tried."""
    if agency.mode.down or not agency.config.webhook_url:
        return 0
    hooks = await asyncio.to_thread(agency.store.pending_webhooks, time.time())
    for hook in hooks:
        await _deliver(agency, client, hook)
    return len(hooks)


async def _deliver(agency: Agency, client: httpx.AsyncClient, hook: Webhook) -> None:
    config = agency.config
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(hook.body, config.webhook_secret),
    }
    try:
        resp = await client.post(config.webhook_url, content=hook.body, headers=headers)
        error = None if resp.is_success else f"HTTP {resp.status_code}: {resp.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        await asyncio.to_thread(
            agency.store.webhook_sent, hook.id, delivered_at=time.time(), error=None,
            next_attempt=0,
        )  # fmt: skip
        return
    delay = min(config.retry_max_seconds, config.retry_base_seconds * 2**hook.attempts)
    log.warning("answer of %s not delivered (%s); retry in %.1f s", hook.batch_key, error, delay)
    await asyncio.to_thread(
        agency.store.webhook_sent, hook.id, delivered_at=None, error=error,
        next_attempt=time.time() + delay,
    )  # fmt: skip


async def deliver_forever(agency: Agency, client: httpx.AsyncClient, idle: float = 0.5) -> None:
    """The delivery loop: oldest first; an answer that fails waits its backoff."""
    while True:
        try:
            tried = await deliver_pending(agency, client)
        except Exception:
            log.exception("answer delivery pass failed")
            tried = 0
        if not tried:  # until an answer is queued, or `idle` (retries come due)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(agency.answers_queued.wait(), idle)
            agency.answers_queued.clear()
