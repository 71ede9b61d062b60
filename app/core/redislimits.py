"""The rate-limit counts in Redis (`REDIS_URL`), shared by every worker and host that points at it.

Rules:
- The public rate limit is `limits`' moving window (`MovingWindowRateLimiter` over its Redis storage): at most
  N hits per client IP in any 60 s, a refused hit not counted, `Retry-After` from the window's reset time. It
  runs on the Redis server's view of wall-clock time (`time.time()` in `limits`), not the service clock.
- The login throttle needs two things `limits` does not offer: check two keys (username, IP) and count in both
  only if neither is full, atomically; and take one counted attempt back after a right password. Both are one
  Lua script over a sorted set per key (score = event time), on the same Redis client that `limits` uses
  (redis-py). A script runs atomically on the server, so no caller slips between check and count.
- Keys are `PREFIX:bucket:key` and expire a window after their newest event.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.core.ratelimit import Entry, Refusal

DEFAULT_PREFIX = "inspection-tracker:rl"

# KEYS: one sorted set per entry. ARGV: now, window, mode ("acquire" | "check" | "add"), nonce, limits…
_COUNT = """
local now, window, mode, nonce = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  redis.call('ZREMRANGEBYSCORE', key, '(' .. (now + window), '+inf')
end
if mode ~= 'add' then
  for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[4 + i])
    local n = redis.call('ZCARD', key)
    if n >= limit then
      local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
      local release = tonumber(oldest[2]) + window
      if release > now then return {i, tostring(math.min(release - now, window))} end
    end
  end
end
if mode == 'check' then return false end
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[4 + i])
  redis.call('ZADD', key, now, ARGV[1] .. ':' .. nonce)
  local n = redis.call('ZCARD', key)
  if n > limit then redis.call('ZREMRANGEBYRANK', key, 0, n - limit - 1) end
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
return false
"""

_DISCARD = """
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if found[1] then redis.call('ZREM', KEYS[1], found[1]) end
return 0
"""


def _storage_uri(url: str) -> str:
    return url if url.startswith("async+") else f"async+{url}"


class RedisWindowStore:
    """The login throttle's counts in Redis (see the module rules)."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.client: Any = aioredis.from_url(url)
        self.prefix = prefix
        self._count = self.client.register_script(_COUNT)
        self._discard = self.client.register_script(_DISCARD)

    def _key(self, entry: Entry) -> str:
        return f"{self.prefix}:{entry[0].name}:{entry[1]}"

    async def _run(self, entries: Sequence[Entry], now: float, window: float, mode: str) -> Refusal | None:
        args = [repr(now), repr(window), mode, uuid.uuid4().hex, *(str(bucket.limit) for bucket, _ in entries)]
        found = await self._count(keys=[self._key(e) for e in entries], args=args)
        if not found:
            return None
        return Refusal(int(found[0]) - 1, float(found[1]))

    async def acquire(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        return await self._run(entries, now, window, "acquire")

    async def locked(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        return await self._run(entries, now, window, "check")

    async def add(self, entries: Sequence[Entry], now: float, window: float) -> None:
        await self._run(entries, now, window, "add")

    async def clear(self, entry: Entry) -> None:
        await self.client.delete(self._key(entry))

    async def discard(self, entry: Entry, stamp: float) -> None:
        await self._discard(keys=[self._key(entry)], args=[repr(stamp)])

    async def reset(self) -> None:
        keys = [key async for key in self.client.scan_iter(match=f"{self.prefix}:*", count=500)]
        if keys:
            await self.client.delete(*keys)

    async def maintain(self, now: float, window: float) -> None:
        """Nothing to do: every key expires a window after its newest event."""

    async def close(self) -> None:
        await self.client.aclose()


class RedisRateLimiter:
    """At most `limit` hits per key in any `window` seconds, counted by `limits` in Redis."""

    def __init__(self, url: str, limit: int, window: int, prefix: str = DEFAULT_PREFIX, name: str = "public") -> None:
        self.storage = RedisStorage(_storage_uri(url), implementation="redispy", key_prefix=prefix)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.item = RateLimitItemPerSecond(limit, window, namespace=name)

    async def hit(self, key: str) -> int | None:
        """Record a hit; None if allowed, else the whole seconds to wait (for Retry-After)."""
        if await self.strategy.hit(self.item, key):
            return None
        reset = (await self.strategy.get_window_stats(self.item, key)).reset_time
        return max(1, math.ceil(reset - time.time()))

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        bridge: Any = self.storage.bridge
        connection: Any = bridge.get_connection()
        await connection.aclose()
