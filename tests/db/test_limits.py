"""The rate-limit stores (app.core.ratelimit, app.db.limits, app.core.redislimits): the same rules in memory,
in PostgreSQL and in Redis: a full key refuses and a refused acquire counts nothing; concurrent acquires never
pass more than the limit; taking back, clearing, expiring; the login throttle and the public limit on each."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.auth.throttle import Attempt, LoginThrottle
from app.core.clock import frozen_clock
from app.core.ratelimit import Bucket, MemoryWindowStore, SlidingWindowLimiter, WindowStore
from app.db.limits import PostgresWindowStore, RateWindow
from app.db.session import Database

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

REDIS_URL = "redis://127.0.0.1:6379/15"
USER, IP = Bucket("test-user", 3), Bucket("test-ip", 5)
WINDOW = 60.0
T = 1_700_000_000.0


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "postgresql", "redis"])
async def store(request: pytest.FixtureRequest, clean_db: Database) -> AsyncIterator[WindowStore]:
    kind = request.param
    if kind == "memory":
        yield MemoryWindowStore()
        return
    if kind == "postgresql":
        if clean_db.is_sqlite:
            pytest.skip("the PostgreSQL store runs when the suite runs on PostgreSQL")
        yield PostgresWindowStore(clean_db.engine)
        return
    if not clean_db.is_sqlite:
        pytest.skip("the Redis store runs once, with the SQLite pass")
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from app.core.redislimits import RedisWindowStore

    redis_store = RedisWindowStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}")
    yield redis_store
    await redis_store.reset()
    await redis_store.close()


async def test_full_key_refuses_and_a_refusal_counts_nothing(store: WindowStore) -> None:
    for i in range(3):
        assert await store.acquire([(USER, "bob"), (IP, "192.0.2.1")], T + i, WINDOW) is None
    found = await store.acquire([(USER, "bob"), (IP, "192.0.2.1")], T + 10, WINDOW)
    assert found is not None and found.index == 0 and found.wait == pytest.approx(WINDOW - 10)
    # the IP holds 3 (not 4): two more pass for another user, the next is refused by the IP
    for _ in range(2):
        assert await store.acquire([(USER, "alice"), (IP, "192.0.2.1")], T + 11, WINDOW) is None
    found = await store.acquire([(USER, "carol"), (IP, "192.0.2.1")], T + 12, WINDOW)
    assert found is not None and found.index == 1 and found.wait == pytest.approx(WINDOW - 12)
    assert await store.locked([(USER, "carol")], T + 12, WINDOW) is None  # carol was not counted


async def test_the_window_slides(store: WindowStore) -> None:
    for i in range(3):
        await store.add([(USER, "bob")], T + 10 * i, WINDOW)
    assert await store.locked([(USER, "bob")], T + WINDOW - 1, WINDOW) is not None
    assert await store.locked([(USER, "bob")], T + WINDOW, WINDOW) is None  # the oldest left
    assert await store.acquire([(USER, "bob")], T + WINDOW, WINDOW) is None
    found = await store.locked([(USER, "bob")], T + WINDOW, WINDOW)
    assert found is not None and found.wait == pytest.approx(10)


async def test_concurrent_acquires_pass_the_limit_exactly(store: WindowStore) -> None:
    results = await asyncio.gather(*(store.acquire([(USER, "x"), (IP, "192.0.2.9")], T, WINDOW) for _ in range(12)))
    assert sum(r is None for r in results) == USER.limit


async def test_discard_clear_and_reset(store: WindowStore) -> None:
    for i in range(5):
        await store.add([(IP, "192.0.2.2")], T + i, WINDOW)
    assert await store.locked([(IP, "192.0.2.2")], T + 5, WINDOW) is not None
    await store.discard((IP, "192.0.2.2"), T + 3)
    assert await store.locked([(IP, "192.0.2.2")], T + 5, WINDOW) is None
    await store.discard((IP, "192.0.2.2"), T + 3)  # already gone: nothing happens
    await store.add([(USER, "bob"), (USER, "eve")], T, WINDOW)
    for _ in range(2):
        await store.add([(USER, "bob"), (USER, "eve")], T, WINDOW)
    await store.clear((USER, "bob"))
    assert await store.locked([(USER, "bob")], T, WINDOW) is None
    assert await store.locked([(USER, "eve")], T, WINDOW) is not None
    await store.reset()
    assert await store.locked([(USER, "eve")], T, WINDOW) is None


async def test_times_a_window_in_the_future_do_not_count(store: WindowStore) -> None:
    if isinstance(store, MemoryWindowStore):
        pytest.skip("memory forgets everything when the clock goes back (tests/auth/test_throttle.py)")
    for _ in range(3):
        await store.add([(USER, "bob")], T + 365 * 86400, WINDOW)
    assert await store.locked([(USER, "bob")], T, WINDOW) is None  # the clock went back a year


async def test_postgres_rows_are_bounded_and_expire(clean_db: Database) -> None:
    if clean_db.is_sqlite:
        pytest.skip("PostgreSQL store")
    store = PostgresWindowStore(clean_db.engine)
    for i in range(50):
        await store.add([(USER, "bob")], T + i, WINDOW)
    await store.add([(USER, "old")], T - 2 * WINDOW, WINDOW)
    async with clean_db.engine.connect() as conn:
        stamps = await conn.scalar(select(RateWindow.stamps).where(RateWindow.key == "bob"))
        assert stamps == [T + 47, T + 48, T + 49]  # the last `limit` only
        await store.maintain(T, WINDOW)
        assert await conn.scalar(select(func.count()).select_from(RateWindow)) == 1  # "old" expired


async def test_login_throttle_on_each_store(store: WindowStore) -> None:
    throttle = LoginThrottle(max_per_user=2, max_per_ip=3, window_seconds=60, store=store)
    with frozen_clock_at(T):
        first = await throttle.begin("bob", "192.0.2.5")
        assert isinstance(first, Attempt)
        await throttle.succeeded(first)  # taken back from the IP, the user cleared
        for _ in range(2):
            assert isinstance(await throttle.begin("bob", "192.0.2.5"), Attempt)
        lock = await throttle.begin("bob", "192.0.2.5")
        assert not isinstance(lock, Attempt) and lock.scope == "username" and lock.retry_after == 60
        assert isinstance(await throttle.begin("eve", "192.0.2.5"), Attempt)  # the IP's third
        lock = await throttle.begin("mallory", "192.0.2.5")
        assert not isinstance(lock, Attempt) and lock.scope == "ip"


async def test_public_limit_on_each_store(store: WindowStore) -> None:
    limiter = SlidingWindowLimiter(3, 60, store=store)
    with frozen_clock_at(T):
        assert [await limiter.hit("192.0.2.7") for _ in range(4)] == [None, None, None, 60]


async def test_public_limit_through_limits_in_redis() -> None:
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from app.core.redislimits import RedisRateLimiter

    prefix = f"test-{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(REDIS_URL, 3, 60, prefix=prefix)
    other = RedisRateLimiter(REDIS_URL, 3, 60, prefix=prefix)  # a second worker
    try:
        assert [await limiter.hit("192.0.2.8") for _ in range(2)] == [None, None]
        assert await other.hit("192.0.2.8") is None
        wait = await other.hit("192.0.2.8")
        assert wait is not None and 1 <= wait <= 60
        again = await limiter.hit("192.0.2.8")
        assert again is not None and 1 <= again <= 60  # the first worker sees the second's hit
        assert await limiter.hit("192.0.2.99") is None  # another client
    finally:
        await limiter.reset()
        await limiter.close()
        await other.close()


def frozen_clock_at(ts: float) -> AbstractContextManager[None]:
    return frozen_clock(datetime.fromtimestamp(ts, UTC))
