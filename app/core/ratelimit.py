"""In-process sliding-window counting: the one mechanism behind the login throttle and the public rate
limit. State is per worker process (put a shared limiter in front of a multi-worker deployment if a global
limit is needed); time comes from `app.core.clock` so tests can move it.
"""

from __future__ import annotations

import math
from collections import deque

from app.core import clock


class SlidingWindow:
    """Event times per key, most recently active key last (dict order), at most `limit` kept per key and at
    most `max_keys` keys (the least recently active are dropped first)."""

    def __init__(self, limit: int, max_keys: int) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def sizes(self) -> dict[str, int]:
        """Events held per key (diagnostics and tests)."""
        return {key: len(stamps) for key, stamps in self._events.items()}

    def locked_for(self, key: str, now: float, window: float) -> float | None:
        """Seconds until `key` may act again, or None when it may act now."""
        stamps = self._events.get(key)
        if stamps is None or len(stamps) < self.limit:
            return None
        # deque(maxlen=limit) keeps the last `limit` events: locked while the oldest of them is in the window.
        release = stamps[0] + window
        return release - now if release > now else None

    def add(self, key: str, now: float) -> None:
        stamps = self._events.pop(key, None) or deque(maxlen=self.limit)
        stamps.append(now)
        self._events[key] = stamps  # re-inserted: dict order stays "least recently active first"
        while len(self._events) > self.max_keys:
            del self._events[next(iter(self._events))]

    def clear(self, key: str) -> None:
        self._events.pop(key, None)

    def discard(self, key: str, stamp: float) -> None:
        """Take back one event recorded at `stamp` (an attempt that turned out not to count)."""
        stamps = self._events.get(key)
        if stamps is None:
            return
        try:
            stamps.remove(stamp)
        except ValueError:
            return  # already pushed out by newer events or pruned
        if not stamps:
            del self._events[key]

    def prune(self, cutoff: float) -> None:
        """Forget keys whose last event is at or before `cutoff` (they can lock nothing any more)."""
        for key in [k for k, stamps in self._events.items() if stamps[-1] <= cutoff]:
            del self._events[key]

    def reset(self) -> None:
        self._events.clear()


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window` seconds."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000) -> None:
        self.window = window
        self._hits = SlidingWindow(limit, max_keys)

    def hit(self, key: str) -> int | None:
        """Record a hit; None if allowed, else the whole seconds to wait (for Retry-After)."""
        now = clock.now().timestamp()
        wait = self._hits.locked_for(key, now, self.window)
        if wait is not None:
            return max(1, math.ceil(wait))
        self._hits.add(key, now)
        return None
