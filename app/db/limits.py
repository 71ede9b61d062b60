"""Where the login throttle and the public rate limit keep their counts (`app.core.ratelimit.WindowStore`).

Rules:
- `REDIS_URL` set: Redis (app.core.redislimits). Else PostgreSQL: the `rate_windows` table on the primary.
  Else (SQLite): this process's memory. The first two are shared by every worker and host.
- One row per bucket and key holds the key's last `limit` event times (a JSON list, oldest first) and when
  the row stops mattering (`expires_at`, the newest event plus the window).
- `acquire` is one short transaction: the missing rows are inserted (`ON CONFLICT DO NOTHING`), then every row
  of the call is locked (`FOR UPDATE`, in key order, so two callers cannot deadlock), checked and written.
  Concurrent acquires for the same key therefore run one after the other, in whichever worker.
- Rows past `expires_at` are deleted by `maintain`, which each process calls about once a window.
- Times are the service clock's (`app.core.clock`), handed in by the caller, never the database's `now()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import JSON, Float, String, Table, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from app.core.config import Settings
from app.core.ratelimit import (
    Entry,
    MemoryWindowStore,
    RateLimiter,
    Refusal,
    SlidingWindowLimiter,
    WindowStore,
    appended,
    refusal,
)
from app.db.base import Base


class RateWindow(Base):
    __tablename__ = "rate_windows"

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    stamps: Mapped[list[float]] = mapped_column(JSON)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


def _keys(entries: Sequence[Entry]) -> list[tuple[str, str]]:
    return sorted({(bucket.name, key) for bucket, key in entries})


class PostgresWindowStore:
    """The `rate_windows` table on the primary, shared by every process on the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.table = cast(Table, RateWindow.__table__)

    async def _lock(self, conn: AsyncConnection, entries: Sequence[Entry], now: float) -> dict[tuple[str, str], Any]:
        keys = _keys(entries)
        await conn.execute(
            pg_insert(self.table)
            .values([{"bucket": b, "key": k, "stamps": [], "expires_at": now} for b, k in keys])
            .on_conflict_do_nothing()
        )
        t = self.table.c
        rows = await conn.execute(
            select(t.bucket, t.key, t.stamps)
            .where(tuple_(t.bucket, t.key).in_(keys))
            .order_by(t.bucket, t.key)
            .with_for_update()
        )
        return {(r.bucket, r.key): list(r.stamps) for r in rows}

    async def _write(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        t = self.table.c

        await conn.execute(
            update(self.table)
            .where(t.bucket == bindparam("b"), t.key == bindparam("k"))
            .values(stamps=bindparam("s"), expires_at=bindparam("e")),
            rows,
        )

    async def _count(self, entries: Sequence[Entry], now: float, window: float, check: bool) -> Refusal | None:
        async with self.engine.begin() as conn:
            held = await self._lock(conn, entries, now)
            stamps = [held.get((b.name, k), []) for b, k in entries]
            found = refusal(entries, stamps, now, window) if check else None
            if found is None:
                rows = []
                for (bucket, key), times in zip(entries, stamps, strict=True):
                    kept = appended(times, now, bucket.limit, now, window)
                    rows.append({"b": bucket.name, "k": key, "s": kept, "e": max(kept) + window})
                await self._write(conn, rows)
        return found

    async def acquire(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        return await self._count(entries, now, window, check=True)

    async def add(self, entries: Sequence[Entry], now: float, window: float) -> None:
        await self._count(entries, now, window, check=False)

    async def locked(self, entries: Sequence[Entry], now: float, window: float) -> Refusal | None:
        t = self.table.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.bucket, t.key, t.stamps).where(tuple_(t.bucket, t.key).in_(_keys(entries)))
            )
            held = {(r.bucket, r.key): list(r.stamps) for r in rows}
        return refusal(entries, [held.get((b.name, k), []) for b, k in entries], now, window)

    async def clear(self, entry: Entry) -> None:
        t = self.table.c
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table).where(t.bucket == entry[0].name, t.key == entry[1]))

    async def discard(self, entry: Entry, stamp: float) -> None:
        t = self.table.c
        async with self.engine.begin() as conn:
            times = await conn.scalar(
                select(t.stamps).where(t.bucket == entry[0].name, t.key == entry[1]).with_for_update()
            )
            if times is None or stamp not in times:
                return  # already pushed out by newer events, cleared or pruned
            times = list(times)
            times.remove(stamp)
            await self._write(conn, [{"b": entry[0].name, "k": entry[1], "s": times, "e": max(times, default=0.0)}])

    async def reset(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table))

    async def maintain(self, now: float, window: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table).where(self.table.c.expires_at <= now))


def window_store(settings: Settings, engine: AsyncEngine) -> WindowStore:
    """The store this deployment counts in (see the module rules)."""
    if settings.REDIS_URL:
        from app.core.redislimits import RedisWindowStore

        return RedisWindowStore(settings.REDIS_URL)
    if engine.dialect.name == "postgresql":
        return PostgresWindowStore(engine)
    return MemoryWindowStore()


def public_limiter(settings: Settings, store: WindowStore) -> RateLimiter:
    """The public routes' limit per client IP: `limits` in Redis with `REDIS_URL`, else counted in `store`."""
    if settings.REDIS_URL:
        from app.core.redislimits import RedisRateLimiter

        return RedisRateLimiter(settings.REDIS_URL, settings.PUBLIC_RATE_LIMIT_PER_MINUTE, 60)
    return SlidingWindowLimiter(settings.PUBLIC_RATE_LIMIT_PER_MINUTE, 60, store=store)


async def close_store(store: object) -> None:
    """Close a store's or limiter's own connections (Redis); the others use the app's engine or nothing."""
    close = getattr(store, "close", None)
    if close is not None:
        await close()
