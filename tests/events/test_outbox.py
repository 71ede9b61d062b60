"""The outbox foundation: `record` writes into the caller's transaction; the feed reads in commit order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.outbox import Event, EventType, record
from app.db.session import Database
from app.events.queries import feed_page
from tests.events.helpers import settled

pytestmark = pytest.mark.real_commits  # see tests/conftest.py


async def test_an_event_commits_and_rolls_back_with_its_transaction(clean_db: Database) -> None:
    async with clean_db.write_session() as s:
        await record(s, EventType.draw_created, "500240", {"plan_id": "p", "draw_id": "d"})
        await s.rollback()
    async with clean_db.write_session() as s:
        kept = await record(s, EventType.draw_created, "500240", {"plan_id": "p", "draw_id": "d"})
        await s.commit()
    await settled(clean_db)
    async with clean_db.write_session() as s:
        assert await s.scalar(select(func.count()).select_from(Event)) == 1
        page = await feed_page(s, None, 10)
        assert [e.id for e in page] == [kept]
        assert page[0].data == {"plan_id": "p", "draw_id": "d"}


async def test_the_feed_pages_in_commit_order_from_a_position(session: AsyncSession, clean_db: Database) -> None:
    ids = []
    for n in range(5):
        async with clean_db.write_session() as s:
            ids.append(await record(s, EventType.draw_created, "500240", {"n": n}))
            await s.commit()
    await settled(clean_db)
    first = await feed_page(session, None, 2)
    rest = await feed_page(session, (first[-1].txid, first[-1].seq), 10)
    assert [e.id for e in first + rest] == ids
    assert await feed_page(session, (rest[-1].txid, rest[-1].seq), 10) == []
