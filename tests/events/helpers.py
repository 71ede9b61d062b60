"""Shortcuts of the events tests: the stored events in feed order, and following the feed over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.db.outbox import Event
from app.db.session import Database

EVENTS = "/api/v1/events"


async def stored(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    """Every stored event as (type, region_code, data), in feed order."""
    async with db.sessionmaker() as s:
        rows = await s.execute(select(Event.type, Event.region_code, Event.data).order_by(Event.txid, Event.seq))
        return [(r.type, r.region_code, r.data) for r in rows]


async def follow(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every page from `cursor` until an empty one: the events handed out and the cursor to poll with next."""
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
