"""Delivering queued pain.002 status reports to our webhook, signed (timestamp and body),
retried with backoff."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from bank.service import Bank, ClockUnavailable
from bank.store import Webhook
from iso20022.bank_signature import signed_headers

log = logging.getLogger("bank.webhooks")


async def deliver_pending(bank: Bank, client: httpx.AsyncClient) -> int:
    """Send every webhook whose time has come; the number of webhooks tried."""
    if bank.mode.down or bank.mode.hold or not bank.config.webhook_url:
        return 0
    hooks = await asyncio.to_thread(bank.store.pending_webhooks, time.time())
    for hook in hooks:
        await _deliver(bank, client, hook)
    return len(hooks)


async def _deliver(bank: Bank, client: httpx.AsyncClient, hook: Webhook) -> None:
    copies = 2 if bank.mode.answer_twice else 1
    delivered, error, sends = False, None, 0
    for _ in range(copies):
        sends += 1
        try:  # signed as sent: over the bank's time of sending and the body
            headers = {
                "Content-Type": "application/xml",
                "X-Bank-Message-Id": hook.msg_id,
                **signed_headers(hook.body, bank.config.webhook_secret, await bank.now()),
            }
            resp = await client.post(bank.config.webhook_url, content=hook.body, headers=headers)
        except (httpx.HTTPError, ClockUnavailable) as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
        if resp.is_success or resp.status_code == 409:  # 409: taken already (message ID seen)
            delivered = True
        else:
            error = f"HTTP {resp.status_code}: {resp.text[:200]}"
    if delivered:
        await asyncio.to_thread(
            bank.store.webhook_sent, hook.id, sends=sends, delivered_at=time.time(), error=None,
            next_attempt=0,
        )  # fmt: skip
        return
    delay = min(bank.config.retry_max_seconds, bank.config.retry_base_seconds * 2**hook.attempts)
    log.warning("webhook %s not delivered (%s); retry in %.1f s", hook.msg_id, error, delay)
    await asyncio.to_thread(
        bank.store.webhook_sent, hook.id, sends=sends, delivered_at=None, error=error,
        next_attempt=time.time() + delay,
    )  # fmt: skip


async def deliver_forever(bank: Bank, client: httpx.AsyncClient, idle: float = 0.1) -> None:
    """The delivery loop: oldest first; a webhook that fails waits its backoff."""
    while True:
        try:
            tried = await deliver_pending(bank, client)
        except Exception:
            log.exception("webhook delivery pass failed")
            tried = 0
        if not tried:
            await asyncio.sleep(idle)
