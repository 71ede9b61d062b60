"""The tick across the 2025 National Day holiday (known answers), ladder progression, once-only notices,
idempotency (twice, for an earlier date, concurrently), only open hazards, certificate notices."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.db.session import Database
from app.deadlines.service import Tick
from tests.conftest import Actor
from tests.deadlines.helpers import API, DUE_ON, count_events, escalations, events_of, levels, run_tick, world
from tests.factories import move, officer


async def test_due_soon_counts_working_days_across_the_make_up_sunday(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    # Thursday 25 Sep: 26 Sep, Sun 28 Sep (调休), 29 Sep, 30 Sep = 4 working days away: not yet.
    assert (await run_tick(clean_db, settings, "2025-09-25")).due_soon == 0
    # Friday 26 Sep: 28 Sep (调休), 29 Sep, 30 Sep = 3 working days away: due soon, both hazards.
    assert (await run_tick(clean_db, settings, "2025-09-26")).due_soon == 2
    assert (await run_tick(clean_db, settings, "2025-09-29")).due_soon == 0  # once per hazard and due date
    sent = await events_of(clean_db, "hazard.due_soon")
    assert sorted(e["hazard_id"] for e in sent) == sorted([w.general, w.major])
    assert {e["due_on"] for e in sent} == {DUE_ON}


async def test_ladder_progresses_over_successive_ticks_across_national_day(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    result = await run_tick(clean_db, settings, "2025-10-08")  # overdue, but no working day since 30 Sep
    assert result.overdue == 2 and result.escalations == {}
    assert (await run_tick(clean_db, settings, "2025-10-09")).escalations == {"reminder": 1, "supervision": 1}
    assert (await run_tick(clean_db, settings, "2025-10-10")).escalations == {}
    assert (await run_tick(clean_db, settings, "2025-10-11")).escalations == {"listed": 1}  # make-up Saturday
    assert (await run_tick(clean_db, settings, "2025-10-13")).escalations == {}
    assert (await run_tick(clean_db, settings, "2025-10-14")).escalations == {"supervision": 1}
    assert (await run_tick(clean_db, settings, "2025-10-20")).escalations == {}
    assert (await run_tick(clean_db, settings, "2025-10-21")).escalations == {"interview": 1}
    assert (await run_tick(clean_db, settings, "2025-10-27")).escalations == {}
    assert (await run_tick(clean_db, settings, "2025-10-28")).escalations == {"interview": 1}

    assert levels(await escalations(client, admin.headers, w.general)) == [
        ("reminder", "2025-10-09"),
        ("supervision", "2025-10-14"),
        ("interview", "2025-10-28"),
    ]
    major = await escalations(client, admin.headers, w.major)
    assert levels(major) == [("supervision", "2025-10-09"), ("listed", "2025-10-11"), ("interview", "2025-10-21")]
    assert {(e["status"], e["resolved_on"], e["institution_id"]) for e in major} == {("open", None, w.institution_id)}
    raised = await events_of(clean_db, "escalation.raised")
    assert len(raised) == 6
    assert {(e["hazard_id"], e["level"]) for e in raised} == {
        (w.general, "reminder"),
        (w.general, "supervision"),
        (w.general, "interview"),
        (w.major, "supervision"),
        (w.major, "listed"),
        (w.major, "interview"),
    }
    assert {e["escalation_id"] for e in raised} == {e["id"] for e in major} | {
        e["id"] for e in await escalations(client, admin.headers, w.general)
    }
    overdue = await events_of(clean_db, "hazard.overdue")
    assert sorted(e["hazard_id"] for e in overdue) == sorted([w.general, w.major])


async def test_a_late_first_tick_raises_every_level_due_at_once(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    result = await run_tick(clean_db, settings, "2025-11-03")
    assert result.escalations == {"reminder": 1, "supervision": 2, "interview": 2, "listed": 1}
    assert {lv for lv, on in levels(await escalations(client, admin.headers, w.general))} == {
        "reminder",
        "supervision",
        "interview",
    }


async def test_twice_or_for_an_earlier_date_raises_nothing_again(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    await world(client, admin.headers)
    first = await run_tick(clean_db, settings, "2025-10-28")
    assert first.escalations and first.overdue == 2
    events = await count_events(clean_db)
    again = await run_tick(clean_db, settings, "2025-10-28")
    earlier = await run_tick(clean_db, settings, "2025-10-09")
    for result in (again, earlier):
        assert (result.due_soon, result.overdue, result.escalations, result.certificates_expiring) == (0, 0, {}, 0)
    assert await count_events(clean_db) == events
    # Constant: one INSERT per notice kind, one for every rung, one event INSERT per kind that raised something.
    assert again.statements == first.statements - 3  # notice events, escalation events, the per-level count


@pytest.mark.real_commits
async def test_concurrent_ticks_from_two_connections_raise_once(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    await world(client, admin.headers)
    other = Database(settings)  # a second engine: its own connections, like a second process
    try:
        results = await asyncio.gather(
            run_tick(clean_db, settings, "2025-10-28"), run_tick(other, settings, "2025-10-28")
        )
    finally:
        await other.dispose()
    raised = [sum(r.escalations.values()) for r in results]
    assert sorted(raised) == [0, 6]
    assert sum(r.overdue for r in results) == 2
    assert len(await events_of(clean_db, "escalation.raised")) == 6
    assert len(await events_of(clean_db, "hazard.overdue")) == 2


async def test_only_open_or_rectifying_hazards_are_reminded_or_escalated(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await move(client, admin.headers, w.general, "start", "2025-09-22")  # rectifying: still counted
    await move(client, admin.headers, w.major, "rectify", "2025-09-25")
    result = await run_tick(clean_db, settings, "2025-10-09")
    assert result.overdue == 1 and result.escalations == {"reminder": 1}
    assert await escalations(client, admin.headers, w.major) == []


async def test_nothing_is_raised_for_a_hazard_found_after_the_tick_date(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    await world(client, admin.headers)
    assert (await run_tick(clean_db, settings, "2025-09-19")).due_soon == 0


async def test_certificate_expiring_sixty_calendar_days_before_once(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    cert = await officer(client, admin.headers, certificate_expires_on="2025-12-01")
    await officer(client, admin.headers, certificate_expires_on="2025-09-30")  # already expired on the tick date
    assert (await run_tick(clean_db, settings, "2025-10-01")).certificates_expiring == 0  # 61 days before
    assert (await run_tick(clean_db, settings, "2025-10-02")).certificates_expiring == 1  # 60 days before
    assert (await run_tick(clean_db, settings, "2025-11-30")).certificates_expiring == 0
    [sent] = await events_of(clean_db, "officer.certificate_expiring")
    assert sent == {"officer_id": cert["id"], "certificate_no": cert["certificate_no"], "expires_on": "2025-12-01"}


async def test_a_suspended_certificate_gets_no_notice(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    cert = await officer(client, admin.headers, certificate_expires_on="2025-12-01")
    r = await client.patch(
        f"{API}/officers/{cert['id']}", json={"certificate_status": "suspended"}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert (await run_tick(clean_db, settings, "2025-10-02")).certificates_expiring == 0


@pytest.mark.parametrize("ladder", ["reminder:2", "supervision:1,interview:2"])
async def test_the_ladder_comes_from_settings(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings, ladder: str
) -> None:
    w = await world(client, admin.headers)
    custom = settings.model_copy(update={"ESCALATION_LADDER": ladder, "ESCALATION_LADDER_MAJOR": ""})
    assert (await run_tick(clean_db, custom, "2025-10-10")).escalations == dict(
        (lv, 1) for lv, days in (p.split(":") for p in ladder.split(",")) if int(days) <= 2
    )
    assert {lv for lv, _ in levels(await escalations(client, admin.headers, w.major))} == set()


@pytest.mark.real_commits  # the setting ends with the real transaction, not with a savepoint
async def test_on_postgresql_the_tick_has_its_own_statement_timeout_for_its_transaction_only(
    backend: str, clean_db: Database, settings: Settings
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no statement timeout")
    tick_settings = settings.model_copy(update={"TICK_STATEMENT_TIMEOUT_MS": 600_000})
    async with clean_db.write_session() as session:
        before = await session.scalar(text("SELECT current_setting('statement_timeout')"))
        job = Tick(session, tick_settings, date(2025, 10, 9))
        await job.begin()
        assert await session.scalar(text("SELECT current_setting('statement_timeout')")) == "10min"
        await session.commit()
        assert await session.scalar(text("SELECT current_setting('statement_timeout')")) == before
    assert before == f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s"
