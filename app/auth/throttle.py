"""Login throttling: login attempts counted per username and per client IP in a sliding window, and a bound
on how many passwords are verified at once.

Rules:
- An attempt is counted when it starts (`begin`), before the password is looked at, in the same step as the
  lock check (no await between them): N simultaneous attempts cannot all pass a check that only counts
  finished ones. A failed attempt stays counted; a successful one is taken back from the IP's count and
  clears the username's.
- Reaching the allowed attempts inside `LOGIN_WINDOW_SECONDS` locks the username (whether or not it exists,
  so a lock says nothing about accounts) or the client IP until the oldest counted attempt leaves the
  window. A locked login costs no database or argon2 work and a right password does not get through it.
- At most `max_concurrent_verifications` (`LOGIN_MAX_CONCURRENT_VERIFICATIONS`) password checks run at
  once per process (`verification_limiter`, a capacity limiter for the worker threads); the rest wait their
  turn without holding argon2's 64 MiB each.
- The client IP is the transport peer (`request.client`). Proxy headers are never read here; behind a
  reverse proxy, uvicorn's `--forwarded-allow-ips` (env `FORWARDED_ALLOW_IPS`) decides whose
  `X-Forwarded-For` becomes the peer.
- Where the counts live is the `WindowStore` handed in (app.db.limits chooses): on PostgreSQL a table, with
  `REDIS_URL` Redis, so every worker and host shares one count and a restart forgets nothing; on the embedded
  SQLite default this process's memory (with N workers an attacker gets up to N times the limit). Memory is
  bounded: keys with no failure inside the window are pruned, and at most `max_keys` usernames and as many IPs
  are tracked (the least recently failing are dropped first).
- Time comes from `app.core.clock` so tests can move it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import anyio

from app.core import clock
from app.core.ratelimit import Bucket, Entry, MemoryWindowStore, Refusal, SlidingWindow, WindowStore

MAX_USERNAME_KEY_CHARS = 256  # the form does not bound usernames; the key must not hold megabytes
SCOPES = ("username", "ip")


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt counted at its start; hand it back to `succeeded` if the password was right."""

    user_key: str
    ip: str
    at: float


@dataclass(frozen=True, slots=True)
class Lock:
    """Why a login is refused and for how long."""

    scope: str  # "username" or "ip"
    retry_after: int  # whole seconds, at least 1


class LoginThrottle:
    """Sliding-window counter of failed logins per username and per client IP (one per app), kept in `store`
    (this process's memory unless another store is handed in)."""

    def __init__(
        self,
        max_per_user: int,
        max_per_ip: int,
        window_seconds: int,
        max_keys: int = 100_000,
        max_concurrent_verifications: int = 4,
        store: WindowStore | None = None,
    ) -> None:
        self.window = float(window_seconds)
        self.store: WindowStore = store if store is not None else MemoryWindowStore(max_keys)
        self._user_bucket = Bucket("login-user", max_per_user)
        self._ip_bucket = Bucket("login-ip", max_per_ip)
        self._next_prune = 0.0
        self._last_now = 0.0
        self.max_concurrent_verifications = max_concurrent_verifications
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def verification_limiter(self) -> anyio.CapacityLimiter:
        """The worker-thread limiter password checks run under (created on first use, inside the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_concurrent_verifications)
        return self._limiter

    @property
    def _users(self) -> SlidingWindow:
        """The in-memory usernames (memory store only; diagnostics and tests)."""
        assert isinstance(self.store, MemoryWindowStore)
        return self.store.window(self._user_bucket)

    @property
    def _ips(self) -> SlidingWindow:
        assert isinstance(self.store, MemoryWindowStore)
        return self.store.window(self._ip_bucket)

    def _entries(self, username: str, ip: str) -> list[Entry]:
        return [(self._user_bucket, username[:MAX_USERNAME_KEY_CHARS]), (self._ip_bucket, ip)]

    async def _now(self) -> float:
        now = clock.now().timestamp()
        if now >= self._next_prune or now < self._last_now - self.window:
            self._next_prune = now + self.window
            await self.store.maintain(now, self.window)
        self._last_now = now
        return now

    @staticmethod
    def _lock(found: Refusal | None) -> Lock | None:
        return None if found is None else Lock(SCOPES[found.index], max(1, math.ceil(found.wait)))

    async def check(self, username: str, ip: str) -> Lock | None:
        """The lock a login attempt for `username` from `ip` is under, or None when it may proceed."""
        now = await self._now()
        return self._lock(await self.store.locked(self._entries(username, ip), now, self.window))

    async def begin(self, username: str, ip: str) -> Attempt | Lock:
        """Count an attempt now, or the lock that refuses it (then nothing is counted)."""
        now = await self._now()
        entries = self._entries(username, ip)
        lock = self._lock(await self.store.acquire(entries, now, self.window))
        if lock is not None:
            return lock
        return Attempt(entries[0][1], ip, now)

    async def failed(self, username: str, ip: str) -> None:
        """Count a failure that did not go through `begin` (tests; tools)."""
        now = await self._now()
        await self.store.add(self._entries(username, ip), now, self.window)

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the username's count and take this attempt back from the IP's."""
        await self.store.clear((self._user_bucket, attempt.user_key))
        await self.store.discard((self._ip_bucket, attempt.ip), attempt.at)

    async def reset(self) -> None:
        """Forget every failure (tests; an operator could wire it to an admin action)."""
        await self.store.reset()
        self._next_prune = 0.0

    def tracked(self) -> tuple[int, int]:
        """How many usernames and IPs are held in memory (memory store only; tests and diagnostics)."""
        return len(self._users), len(self._ips)
