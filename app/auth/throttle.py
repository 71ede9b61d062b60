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
- State lives in this process's memory: with N uvicorn workers an attacker gets up to N times the limit,
  and a restart forgets it. Memory is bounded: keys with no failure inside the window are pruned, and at
  most `max_keys` usernames and as many IPs are tracked (the least recently failing are dropped first).
- Time comes from `app.core.clock` so tests can move it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import anyio

from app.core import clock
from app.core.ratelimit import SlidingWindow

MAX_USERNAME_KEY_CHARS = 256  # the form does not bound usernames; the key must not hold megabytes


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
    """In-memory sliding-window counter of failed logins per username and per client IP (one per app)."""

    def __init__(
        self,
        max_per_user: int,
        max_per_ip: int,
        window_seconds: int,
        max_keys: int = 100_000,
        max_concurrent_verifications: int = 4,
    ) -> None:
        self.window = float(window_seconds)
        self._users = SlidingWindow(max_per_user, max_keys)
        self._ips = SlidingWindow(max_per_ip, max_keys)
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

    @staticmethod
    def _user_key(username: str) -> str:
        return username[:MAX_USERNAME_KEY_CHARS]

    def _now(self) -> float:
        now = clock.now().timestamp()
        if now < self._last_now - self.window:
            # The clock went back by more than a window (tests pin it; hosts rarely): the stored times no
            # longer mean anything and would lock for as long as the jump.
            self.reset()
        self._last_now = now
        if now >= self._next_prune:
            self._users.prune(now - self.window)
            self._ips.prune(now - self.window)
            self._next_prune = now + self.window
        return now

    def check(self, username: str, ip: str) -> Lock | None:
        """The lock a login attempt for `username` from `ip` is under, or None when it may proceed."""
        now = self._now()
        for scope, wait in (
            ("username", self._users.locked_for(self._user_key(username), now, self.window)),
            ("ip", self._ips.locked_for(ip, now, self.window)),
        ):
            if wait is not None:
                return Lock(scope, max(1, math.ceil(wait)))
        return None

    def begin(self, username: str, ip: str) -> Attempt | Lock:
        """Count an attempt now, or the lock that refuses it (then nothing is counted)."""
        lock = self.check(username, ip)
        if lock is not None:
            return lock
        attempt = Attempt(self._user_key(username), ip, self._now())
        self._users.add(attempt.user_key, attempt.at)
        self._ips.add(ip, attempt.at)
        return attempt

    def failed(self, username: str, ip: str) -> None:
        """Count a failure that did not go through `begin` (tests; tools)."""
        now = self._now()
        self._users.add(self._user_key(username), now)
        self._ips.add(ip, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the username's count and take this attempt back from the IP's."""
        self._users.clear(attempt.user_key)
        self._ips.discard(attempt.ip, attempt.at)

    def reset(self) -> None:
        """Forget every failure (tests; an operator could wire it to an admin action)."""
        self._users.reset()
        self._ips.reset()
        self._next_prune = 0.0

    def tracked(self) -> tuple[int, int]:
        """How many usernames and IPs are held in memory (for tests and diagnostics)."""
        return len(self._users), len(self._ips)
