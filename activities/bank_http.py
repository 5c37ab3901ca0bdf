"""One HTTP client per process for the bank (statements, pain.001, statuses): `httpx.get` and
`httpx.post` build a client, and its TLS context, on every call (~25 ms each, measured: the
larger part of a simulated day's reconciliation); one kept client reuses its connections."""

from __future__ import annotations

import functools

import httpx

TIMEOUT = httpx.Timeout(120.0, connect=10.0)  # a run of 100,000 transfers is a large message


@functools.lru_cache(maxsize=8)
def bank_client(base_url: str) -> httpx.Client:
    """The process's client for the bank at `base_url` (thread-safe: sync activities share it)."""
    return httpx.Client(base_url=base_url, timeout=TIMEOUT)
