"""The network between the bank's webhook and our API, as a fault injector: it takes each
signed pain.002 from the bank (202 at once) and forwards it to the API, in order by default;
`shuffle` holds what arrives for a moment and sends it newest first, `repeat` sends each twice
(the bank's own `answer_twice` mode repeats at the source). A report the API does not take
(5xx, connection refused) is forwarded again until it answers, as the bank would retry."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request, Response

from core.serving import serve_app

FORWARDED_HEADERS = (
    "content-type", "x-bank-message-id", "x-bank-timestamp", "x-bank-signature",
    "x-medagency-signature",  # the medical agency's late answers go through a relay too
)  # fmt: skip


@dataclass
class Relay:
    url: str = ""
    target: str = ""
    shuffle: bool = False
    repeat: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    queue: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    received: int = 0
    forwarded: int = 0
    reordered: int = 0
    repeated: int = 0
    in_flight: int = 0
    answers: Counter[int] = field(default_factory=Counter)  # the API's status codes

    def normal(self) -> None:
        self.shuffle = self.repeat = False

    def idle(self) -> bool:
        return not self.queue and self.in_flight == 0


async def _forward(
    relay: Relay, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> None:
    while True:
        try:
            resp = await client.post(relay.target, content=body, headers=headers)
            relay.answers[resp.status_code] += 1
            if resp.status_code < 500:  # taken, a replay (409) or refused for good (4xx)
                relay.forwarded += 1
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)


async def _pump(relay: Relay) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            if not relay.queue:
                await asyncio.sleep(0.05)
                continue
            if relay.shuffle:
                await asyncio.sleep(relay.rng.uniform(0.2, 1.5))  # let a few gather
            batch, relay.queue = relay.queue, []
            if relay.shuffle and len(batch) > 1:
                batch.reverse()
                relay.reordered += len(batch)
            relay.in_flight += len(batch)
            try:
                for body, headers in batch:
                    copies = 2 if relay.repeat else 1
                    relay.repeated += copies - 1
                    for _ in range(copies):
                        await _forward(relay, client, body, headers)
            finally:
                relay.in_flight -= len(batch)


def relay_app(relay: Relay) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pump = asyncio.create_task(_pump(relay))
        yield
        pump.cancel()

    app = FastAPI(lifespan=lifespan)

    @app.post("/webhook")
    async def take(request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
        relay.received += 1
        relay.queue.append((body, headers))
        return Response(status_code=202)

    return app


@contextmanager
def serve_relay() -> Iterator[Relay]:
    relay = Relay()
    with serve_app(relay_app(relay), "the webhook relay") as url:
        relay.url = f"{url}/webhook"
        yield relay
