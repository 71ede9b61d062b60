"""Escalations resolve in the transition's transaction on rectify or void; reject does not reopen them; a
verified major hazard gets its follow-up (回头看), done by the institution's next inspection."""

from __future__ import annotations

import httpx

from app.core.config import Settings
from app.db.session import Database
from tests.conftest import Actor
from tests.deadlines.helpers import API, FOUND_ON, escalations, events_of, run_tick, world
from tests.factories import inspect, move


async def test_rectify_resolves_every_open_escalation_on_the_transition_date(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await run_tick(clean_db, settings, "2025-10-09")
    await run_tick(clean_db, settings, "2025-10-14")
    await move(client, admin.headers, w.general, "rectify", "2025-10-15")
    items = await escalations(client, admin.headers, w.general)
    assert [(e["level"], e["status"], e["resolved_on"]) for e in items] == [
        ("reminder", "resolved", "2025-10-15"),
        ("supervision", "resolved", "2025-10-15"),
    ]
    assert {e["status"] for e in await escalations(client, admin.headers, w.major)} == {"open"}  # the other hazard


async def test_reject_after_rectify_does_not_reopen_resolved_escalations(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await run_tick(clean_db, settings, "2025-10-09")
    await run_tick(clean_db, settings, "2025-10-14")
    await move(client, admin.headers, w.general, "rectify", "2025-10-15")
    await move(client, admin.headers, w.general, "reject", "2025-10-16", note="整改不到位")
    result = await run_tick(clean_db, settings, "2025-10-28")
    assert result.escalations == {"interview": 2}  # the levels not raised yet; reminder/supervision not again
    items = await escalations(client, admin.headers, w.general)
    assert [(e["level"], e["status"], e["resolved_on"]) for e in items] == [
        ("reminder", "resolved", "2025-10-15"),
        ("supervision", "resolved", "2025-10-15"),
        ("interview", "open", None),
    ]


async def test_void_resolves_with_the_void_date(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await run_tick(clean_db, settings, "2025-10-11")
    await move(client, admin.headers, w.major, "void", "2025-10-13", note="重复登记")
    items = await escalations(client, admin.headers, w.major)
    assert {(e["status"], e["resolved_on"]) for e in items} == {("resolved", "2025-10-13")}
    assert len(items) == 2
    assert (await run_tick(clean_db, settings, "2025-10-28")).escalations == {"supervision": 1, "interview": 1}


async def test_a_refused_transition_resolves_nothing(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await run_tick(clean_db, settings, "2025-10-09")
    r = await client.post(
        f"{API}/hazards/{w.general}/transitions", json={"action": "verify", "on": "2025-10-10"}, headers=admin.headers
    )
    assert r.status_code == 409
    assert {e["status"] for e in await escalations(client, admin.headers, w.general)} == {"open"}


async def test_verifying_a_major_hazard_creates_its_follow_up(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await move(client, admin.headers, w.major, "rectify", "2025-09-25")
    await move(client, admin.headers, w.major, "verify", "2025-09-26")
    await move(client, admin.headers, w.general, "rectify", "2025-09-25")
    await move(client, admin.headers, w.general, "verify", "2025-09-26")  # general: no follow-up
    r = await client.get(f"{API}/follow-ups", headers=admin.headers)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    # 20 working days after Fri 26 Sep: Sun 28 (调休), 29, 30 Sep (3), 1–8 Oct off, 9–11 Oct (Sat 11 调休: 6),
    # 13–17 (11), 20–24 (16), 27–30 Oct (20).
    assert item | {"id": None} == {
        "id": None,
        "hazard_id": w.major,
        "institution_id": w.institution_id,
        "region_code": "500240",
        "due_on": "2025-10-30",
        "status": "overdue",  # today is long after it, and no inspection since
        "done_by_inspection_id": None,
    }
    [event] = await events_of(clean_db, "follow_up.due")
    assert event == {
        "follow_up_id": item["id"],
        "hazard_id": w.major,
        "institution_id": w.institution_id,
        "due_on": "2025-10-30",
    }


async def test_follow_up_is_done_by_the_earliest_later_inspection(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await move(client, admin.headers, w.major, "rectify", "2025-09-25")
    await move(client, admin.headers, w.major, "verify", "2025-09-26")
    await inspect(client, admin.headers, w.institution_id, w.officer_ids, "2025-09-26", [])  # same day: not after
    later = await client.get(f"{API}/follow-ups?status=overdue", headers=admin.headers)
    assert len(later.json()["items"]) == 1
    await inspect(client, admin.headers, w.institution_id, w.officer_ids, "2025-11-20", [])
    await inspect(client, admin.headers, w.institution_id, w.officer_ids, "2025-10-20", [])
    r = await client.get(f"{API}/inspections?institution_id={w.institution_id}&limit=10", headers=admin.headers)
    by_date = {i["inspected_on"]: i["id"] for i in r.json()["items"]}
    [item] = (await client.get(f"{API}/follow-ups?status=done", headers=admin.headers)).json()["items"]
    assert item["done_by_inspection_id"] == by_date["2025-10-20"]
    assert (await client.get(f"{API}/follow-ups?status=overdue", headers=admin.headers)).json()["items"] == []
    assert FOUND_ON in by_date
