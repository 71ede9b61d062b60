"""Exactly once under concurrency: 10 writers commit concurrently (HTTP, each request its own session) while
pollers follow `next_cursor`; every poller sees every committed event once, all in the same order. On
PostgreSQL a transaction held open below later events holds them back until it commits (the horizon)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.db.outbox import EventType, record
from app.db.session import Database
from app.events.queries import feed_page
from tests import factories
from tests.conftest import Actor
from tests.events.helpers import EVENTS, follow, stored
from tests.hazards.helpers import API

WRITERS = 10


async def _poll(client: httpx.AsyncClient, headers: dict[str, str], done: asyncio.Event) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while not done.is_set():
        r = await client.get(EVENTS, params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        seen.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]
        await asyncio.sleep(0)
    return seen + await _rest(client, headers, cursor)


async def _rest(client: httpx.AsyncClient, headers: dict[str, str], cursor: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        r = await client.get(EVENTS, params={"cursor": cursor} if cursor else {}, headers=headers)
        if not r.json()["items"]:
            return out
        out.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]


async def test_pollers_see_every_event_once_in_one_order(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    done = asyncio.Event()
    pollers = [asyncio.create_task(_poll(client, admin.headers, done)) for _ in range(3)]

    async def write() -> None:
        r = await client.post(
            f"{API}/inspections", json=factories.inspection_body(inst["id"], officers), headers=admin.headers
        )
        assert r.status_code == 201, r.text

    await asyncio.gather(*(write() for _ in range(WRITERS)))
    await follow(client, admin.headers, clean_db)  # every committed event is below the horizon now
    done.set()
    seen = await asyncio.gather(*pollers)
    expected = [(t, d) for t, _, d in await stored(clean_db)]
    assert len(expected) == WRITERS * 3
    for one in seen:
        assert [(e["type"], e["data"]) for e in one] == expected
        assert len({e["id"] for e in one}) == len(one)


async def test_an_open_transaction_holds_back_later_events(clean_db: Database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writers are serial")

    async with clean_db.write_session() as slow:
        early = await record(slow, EventType.draw_created, "500240", {"n": "early"})
        async with clean_db.write_session() as fast:
            late = await record(fast, EventType.draw_created, "500240", {"n": "late"})
            await fast.commit()
        async with clean_db.query_session() as reader:
            assert [e.id for e in await feed_page(reader, None, 10)] == [], "the later event waits"
        await slow.commit()
    for _ in range(500):
        async with clean_db.query_session() as reader:
            page = [e.id for e in await feed_page(reader, None, 10)]
        if page:
            break
        await asyncio.sleep(0.02)
    assert page == [early, late]
