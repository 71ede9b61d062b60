"""The feed under concurrent writers: a client following `next_cursor` gets every committed event exactly once,
in the same order as every other client, although writers commit out of id order (both databases).

On PostgreSQL the writers hold their transactions open for random times after their event's INSERT, so events
with a lower `seq` often commit after events with a higher one: a naive `WHERE seq > :cursor` would lose them.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db.outbox import EventType, record
from app.db.session import Database
from tests.conftest import OWN_REGION, Actor
from tests.events.helpers import EVENTS, follow

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

WRITERS = 10
EVENTS_PER_WRITER = 8


async def _writer(db: Database, n: int, rng: random.Random) -> list[str]:
    made = []
    for k in range(EVENTS_PER_WRITER):
        async with db.write_session() as s:
            event_id = await record(s, EventType.draw_created, OWN_REGION, {"writer": n, "k": k})
            await asyncio.sleep(rng.uniform(0, 0.02))  # commit late, after others that inserted later
            await s.commit()
        made.append(str(event_id))
    return made


async def _poller(client: httpx.AsyncClient, headers: dict[str, str], done: asyncio.Event) -> list[str]:
    """Follow the feed until the writers are done and every event they made was handed out (or 20 s: on
    PostgreSQL a write transaction open elsewhere in the cluster holds the horizon back for a while)."""
    seen: list[str] = []
    cursor: str | None = None
    deadline = time.monotonic() + 20
    while True:
        finished = done.is_set() and (len(seen) >= WRITERS * EVENTS_PER_WRITER or time.monotonic() > deadline)
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        r = await client.get(EVENTS, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        cursor = page["next_cursor"]
        seen.extend(item["id"] for item in page["items"])
        if finished and not page["items"]:
            return seen
        if not page["items"]:
            await asyncio.sleep(0.005)


async def test_ten_concurrent_writers_and_three_pollers_every_event_exactly_once(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    rng = random.Random(20261202)
    done = asyncio.Event()

    async def writers() -> list[list[str]]:
        try:
            return await asyncio.gather(*(_writer(clean_db, n, random.Random(rng.random())) for n in range(WRITERS)))
        finally:
            done.set()

    pollers = [asyncio.ensure_future(_poller(client, admin.headers, done)) for _ in range(3)]
    written = await writers()
    polled = [await p for p in pollers]
    committed = {e for batch in written for e in batch}
    assert len(committed) == WRITERS * EVENTS_PER_WRITER
    for seen in polled:
        assert len(seen) == len(set(seen)), "an event was handed out twice"
        assert set(seen) == committed, f"{len(committed - set(seen))} committed events never handed out"
    assert polled[0] == polled[1] == polled[2], "pollers saw different orders"
    everything, _ = await follow(client, admin.headers, clean_db)
    assert [e["id"] for e in everything] == polled[0], "a fresh read gives the same order"


async def test_an_open_writer_holds_back_later_commits_until_it_ends(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    """PostgreSQL: the horizon. SQLite: the writer lock serialises writers, so the same flow cannot interleave;
    there the early writer simply commits first."""
    if clean_db.is_sqlite:
        async with clean_db.write_session() as s:
            first = await record(s, EventType.draw_created, OWN_REGION, {"n": 1})
            await s.commit()
        seen, _ = await follow(client, admin.headers, clean_db)
        assert [e["id"] for e in seen] == [str(first)]
        return
    _, cursor = await follow(client, admin.headers, clean_db)
    slow = clean_db.sessionmaker()
    try:
        early = await record(slow, EventType.draw_created, OWN_REGION, {"n": "early"})
        async with clean_db.write_session() as s:
            late = await record(s, EventType.draw_created, OWN_REGION, {"n": "late"})
            await s.commit()
        async with clean_db.sessionmaker() as s:  # the late event is committed and visible to plain SQL
            assert await s.scalar(text("SELECT count(*) FROM events")) == 1
        r = await client.get(EVENTS, params={"cursor": cursor}, headers=admin.headers)  # not `follow`: it waits
        assert r.status_code == 200 and r.json()["items"] == [], "an event was handed out past a writer in flight"
        cursor = r.json()["next_cursor"]
        await slow.commit()
    finally:
        await slow.close()
    after, _ = await follow(client, admin.headers, clean_db, cursor)  # once the horizon has passed both
    assert [e["id"] for e in after] == [str(early), str(late)]
