"""What the app holds for its lifetime: settings, engine, policy book, Temporal client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.converter import DataConverter

from api.clock import SystemClock
from api.throttle import LoginThrottle
from api.usercache import UserCache
from core.identity import IdentityKeys
from core.settings import Settings
from core.temporal import connect
from notifications.outbox import Outbox
from policy import PolicyBook, PolicySource


@dataclass
class TemporalGateway:
    """One Temporal client, connected on first use (so the API starts, and reports 503
    on /health, while Temporal is still coming up)."""

    address: str
    namespace: str
    converter: DataConverter  # core.codec.data_converter: payloads encrypted
    _client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await connect(self.address, self.namespace, self.converter)
        return self._client


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    policy: PolicySource  # a policy.store.PolicyStore: edited files are reloaded
    temporal: TemporalGateway
    clock: SystemClock
    keys: IdentityKeys
    notifier: Outbox
    users: UserCache = field(default_factory=UserCache)
    # single-statement reads (db.engine.make_read_engine): autocommit, no ping, retried once
    reader: Engine | None = None
    # failed sign-ins per account and address (in this process's memory: api/throttle.py)
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(5, 50, 900.0))

    @property
    def book(self) -> PolicyBook:
        """The policy in force now."""
        return self.policy.current()

    @property
    def reads(self) -> Engine:
        return self.reader if self.reader is not None else self.engine
