"""Retention: `prune_events` deletes the events older than `EVENT_RETENTION_DAYS` in one statement and keeps
the newest one (its position must never be handed out again); the feed goes on after it (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.core import clock
from app.core.config import Settings
from app.db.outbox import Event, EventType, record
from app.db.session import Database
from app.events.queries import feed_page
from app.events.service import prune_events
from tests.conftest import TEST_SECRET
from tests.events.helpers import settled

pytestmark = pytest.mark.real_commits  # see tests/conftest.py


async def _events(db: Database, ages_in_days: list[int]) -> list[str]:
    """One event per age (oldest first in feed order), `occurred_at` moved back by that many days."""
    ids = []
    for n, age in enumerate(ages_in_days):
        async with db.write_session() as s:
            event_id = await record(s, EventType.draw_created, "500240", {"n": n})
            await s.execute(
                update(Event).where(Event.id == event_id).values(occurred_at=clock.now() - timedelta(days=age))
            )
            await s.commit()
        ids.append(str(event_id))
    return ids


async def _left(db: Database) -> list[str]:
    async with db.sessionmaker() as s:
        return [str(i) for i in (await s.scalars(select(Event.id).order_by(Event.txid, Event.seq)))]


def test_the_setting_defaults_to_a_year_and_must_be_positive() -> None:
    assert Settings(SECRET_KEY=TEST_SECRET).EVENT_RETENTION_DAYS == 365
    with pytest.raises(ValueError, match="EVENT_RETENTION_DAYS"):
        Settings(SECRET_KEY=TEST_SECRET, EVENT_RETENTION_DAYS=0)


async def test_older_events_are_pruned_in_one_go(clean_db: Database) -> None:
    ids = await _events(clean_db, [400, 366, 30, 0])
    async with clean_db.write_session() as s:
        assert await prune_events(s, clock.now(), 365) == 2
    assert await _left(clean_db) == ids[2:]
    async with clean_db.write_session() as s:
        assert await prune_events(s, clock.now(), 365) == 0, "nothing more to prune"
    async with clean_db.write_session() as s:
        assert await prune_events(s, clock.now() + timedelta(days=100), 100) == 1
    assert await _left(clean_db) == ids[3:]


async def test_the_newest_event_is_kept_and_the_feed_goes_on(clean_db: Database) -> None:
    ids = await _events(clean_db, [800, 700, 600])
    await settled(clean_db)
    async with clean_db.query_session() as s:
        last = (await feed_page(s, None, 10))[-1]
    async with clean_db.write_session() as s:
        assert await prune_events(s, clock.now(), 365) == 2
    assert await _left(clean_db) == ids[2:], "the newest stays, so SQLite never reuses its seq"
    later = await _events(clean_db, [0])
    await settled(clean_db)
    async with clean_db.query_session() as s:
        after = await feed_page(s, (last.txid, last.seq), 10)
    assert [str(e.id) for e in after] == later, "a client at the old position still gets what came after"


async def test_without_a_number_the_setting_applies(clean_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await _events(clean_db, [20, 5, 0])
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("EVENT_RETENTION_DAYS", "10")
    async with clean_db.write_session() as s:
        assert await prune_events(s, clock.now()) == 1
    assert await _left(clean_db) == ids[1:]
