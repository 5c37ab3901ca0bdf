"""Login throttling: failed sign-ins counted per account and per client address.

The counts live in this process's memory (documented limit): each API process counts on its
own, so N processes let N times the attempts through, and a restart forgets them. That is
enough to make password guessing slow (a few tries per account per window) without a shared
store; a deployment with many API processes would move these counters to the database or a
cache. A success clears the account's count, never the address's."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_KEYS = 50_000  # above this many tracked accounts/addresses, the oldest are dropped


class LoginThrottle:
    def __init__(self, per_account: int, per_ip: int, window_seconds: float) -> None:
        self.per_account = per_account
        self.per_ip = per_ip
        self.window = window_seconds
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        fails = self._fails.get(key)
        if fails is None:
            return deque()
        while fails and now - fails[0] >= self.window:
            fails.popleft()
        if not fails:
            del self._fails[key]
        return fails

    def _wait(self, key: str, limit: int, now: float) -> float:
        fails = self._recent(key, now)
        if len(fails) < limit:
            return 0.0
        return fails[len(fails) - limit] + self.window - now

    def retry_after(self, account: str, ip: str) -> int | None:
        """Seconds until a sign-in for `account` from `ip` is allowed again; None = now."""
        now = time.monotonic()
        with self._lock:
            wait = max(
                self._wait(f"user:{account.lower()}", self.per_account, now),
                self._wait(f"ip:{ip}", self.per_ip, now),
            )
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, account: str, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) >= MAX_KEYS:
                for key in list(self._fails)[: MAX_KEYS // 10]:
                    del self._fails[key]
            for key in (f"user:{account.lower()}", f"ip:{ip}"):
                self._fails.setdefault(key, deque()).append(now)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._fails.pop(f"user:{account.lower()}", None)
