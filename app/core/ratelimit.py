"""A small in-process sliding-window rate limiter (per worker process; put a shared limiter in front of a
multi-worker deployment if a global limit is needed)."""

from __future__ import annotations

import math
from collections import deque

from app.core import clock


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window` seconds. Memory is bounded by `max_keys`."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> int | None:
        """Record a hit; None if allowed, else the seconds to wait (for Retry-After)."""
        now = clock.now().timestamp()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None

    def _prune(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:  # still full of active keys: drop the oldest
            del self._hits[next(iter(self._hits))]
