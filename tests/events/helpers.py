"""Shortcuts of the events tests: the stored events in feed order, and following the feed over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import select, text

from app.db.outbox import Event
from app.db.session import Database

EVENTS = "/api/v1/events"


async def stored(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    """Every stored event as (type, region_code, data), in feed order."""
    async with db.sessionmaker() as s:
        rows = await s.execute(select(Event.type, Event.region_code, Event.data).order_by(Event.txid, Event.seq))
        return [(r.type, r.region_code, r.data) for r in rows]


async def settled(db: Database, within: float = 10.0) -> None:
    """Wait until every stored event is below PostgreSQL's commit horizon (the feed hands it out).

    The horizon is cluster-wide: a transaction in flight in another database of the same server (other test
    runs share it) holds it back for as long as it runs. SQLite has no horizon."""
    if db.is_sqlite:
        return
    deadline = time.monotonic() + within
    query = text("SELECT coalesce(max(txid), 0) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM events")
    while True:
        async with db.query_session() as s:
            if await s.scalar(query):
                return
        assert time.monotonic() < deadline, f"the commit horizon did not pass the newest event in {within} s"
        await asyncio.sleep(0.02)


async def follow(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    db: Database,
    cursor: str | None = None,
    **params: Any,
) -> tuple[list[dict[str, Any]], str]:
    """Every page from `cursor` until an empty one (once all stored events are visible): the events handed out
    and the cursor to poll with next."""
    await settled(db)
    seen: list[dict[str, Any]] = []
    while True:
        query = {**params, **({"cursor": cursor} if cursor is not None else {})}
        r = await client.get(EVENTS, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert isinstance(page["next_cursor"], str) and page["next_cursor"]
        cursor = page["next_cursor"]
        if not page["items"]:
            return seen, cursor
        seen.extend(page["items"])
