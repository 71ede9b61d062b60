"""Sliding-window counting: the one mechanism behind the login throttle and the public rate limit.

Rules:
- A `Bucket` is a named limit (at most `limit` events per key in any `window` seconds); an `Entry` is a bucket
  and a key in it (a username, a client IP).
- A `WindowStore` holds the event times. `acquire` checks every entry and, only if none is full, counts one
  event in each, in one atomic step (no caller can slip between the check and the count, in this process or
  another sharing the store). A refused acquire counts nothing.
- Where the state lives is the deployment's choice (app.db.limits picks it): `MemoryWindowStore` in this
  process (the embedded SQLite default: with N workers each has its own), a PostgreSQL table, or Redis
  (`REDIS_URL`): shared by every worker and host on it, surviving restarts.
- Time comes from `app.core.clock` so tests can move it; stores compare the times they are handed, never
  their own clock. An event stamped more than a window in the future (a clock that went back) counts as gone.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.core import clock


@dataclass(frozen=True, slots=True)
class Bucket:
    """A named limit: at most `limit` events per key inside the window the caller uses."""

    name: str
    limit: int


Entry = tuple[Bucket, str]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Which entry of an acquire is full (its index) and how long until it frees a slot, in seconds."""

    index: int
    wait: float


def refusal(entries: Sequence[Entry], stamps: Sequence[Sequence[float]], now: float, window: float) -> Refusal | None:
    """The first full entry, given each entry's counted times (oldest first): the rule every store applies.

    A key is full while it holds `limit` events of which the oldest of the last `limit` is inside the window."""
    for i, ((bucket, _key), times) in enumerate(zip(entries, stamps, strict=True)):
        live = [t for t in times if t <= now + window]
        if len(live) >= bucket.limit:
            release = live[-bucket.limit] + window
            if release > now:
                # Capped at the window: a concurrent caller's later stamp may be written before this one is
                # checked (the row lock orders them), and no wait is longer than a window.
                return Refusal(i, min(release - now, window))
    return None


def appended(times: Sequence[float], stamp: float, limit: int, now: float, window: float) -> list[float]:
    """`times` with `stamp` added, keeping only the last `limit` events that can still count."""
    kept = [t for t in times if now - window < t <= now + window]
    kept.append(stamp)
    return sorted(kept)[-limit:]


class WindowStore(Protocol):
    """Where event times are kept (this process, PostgreSQL, Redis)."""

    async def acquire(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        """Count one event at `now` in every entry unless one is full (then count nothing)."""
        ...

    async def locked(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        """The first full entry, counting nothing."""
        ...

    async def add(self, entries: Sequence[Entry], now: float, window: float) -> None:
        """Count one event at `now` in every entry, full or not (tools; tests)."""
        ...

    async def clear(self, entry: Entry) -> None:
        """Forget every event of one key."""
        ...

    async def discard(self, entry: Entry, stamp: float) -> None:
        """Take back the event counted at `stamp` (an attempt that turned out not to count)."""
        ...

    async def reset(self) -> None:
        """Forget everything (tests; an operator action)."""
        ...

    async def maintain(self, now: float, window: float) -> None:
        """Called about once a window per process: forget what can no longer count."""
        ...


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


class MemoryWindowStore:
    """This process's memory: one `SlidingWindow` per bucket, at most `max_keys` keys each. Nothing awaits
    inside a method, so check and count are one step for the event loop."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self.windows: dict[str, SlidingWindow] = {}
        self._last_now = 0.0

    def window(self, bucket: Bucket) -> SlidingWindow:
        found = self.windows.get(bucket.name)
        if found is None:
            found = self.windows[bucket.name] = SlidingWindow(bucket.limit, self.max_keys)
        return found

    def _locked(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        for i, (bucket, key) in enumerate(entries):
            wait = self.window(bucket).locked_for(key, now, window)
            if wait is not None:
                return Refusal(i, wait)
        return None

    async def acquire(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        found = self._locked(entries, now, window)
        if found is None:
            for bucket, key in entries:
                self.window(bucket).add(key, now)
        return found

    async def locked(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        return self._locked(entries, now, window)

    async def add(self, entries: Sequence[Entry], now: float, window: float) -> None:
        for bucket, key in entries:
            self.window(bucket).add(key, now)

    async def clear(self, entry: Entry) -> None:
        self.window(entry[0]).clear(entry[1])

    async def discard(self, entry: Entry, stamp: float) -> None:
        self.window(entry[0]).discard(entry[1], stamp)

    async def reset(self) -> None:
        for found in self.windows.values():
            found.reset()

    async def maintain(self, now: float, window: float) -> None:
        if now < self._last_now - window:
            # The clock went back by more than a window (tests pin it; hosts rarely): the stored times no
            # longer mean anything and would lock for as long as the jump.
            await self.reset()
        self._last_now = now
        for found in self.windows.values():
            found.prune(now - window)


class RateLimiter(Protocol):
    """What the public routes ask: may this key hit now (None), or in how many whole seconds."""

    async def hit(self, key: str) -> int | None: ...


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window` seconds, in `store` (this process's memory by default)."""

    def __init__(
        self, limit: int, window: float, max_keys: int = 10_000, store: WindowStore | None = None, name: str = "public"
    ) -> None:
        self.window = window
        self.bucket = Bucket(name, limit)
        self.store: WindowStore = store if store is not None else MemoryWindowStore(max_keys)
        self._next_maintenance = 0.0

    async def hit(self, key: str) -> int | None:
        """Record a hit; None if allowed, else the whole seconds to wait (for Retry-After)."""
        now = clock.now().timestamp()
        if now >= self._next_maintenance or now < self._next_maintenance - 2 * self.window:
            self._next_maintenance = now + self.window
            await self.store.maintain(now, self.window)
        found = await self.store.acquire([(self.bucket, key)], now, self.window)
        return None if found is None else max(1, math.ceil(found.wait))
