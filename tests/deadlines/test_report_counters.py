"""The summary's `escalations_open` (per kind) and `follow_ups_due` (per kind and in all), as of a date, and the
same counters in the breakdown."""

from __future__ import annotations

from typing import Any

import httpx

from app.auth.models import Role
from app.core.config import Settings
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.deadlines.helpers import API, run_tick, world
from tests.factories import inspect, move

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


async def summary(client: httpx.AsyncClient, headers: dict[str, str], as_of: str) -> dict[str, Any]:
    r = await client.get(f"{API}/reports/summary", params={**YEAR, "as_of": as_of}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def kind(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(k for k in body["kinds"] if k["kind"] == name)


async def test_escalations_open_counts_the_levels_raised_and_not_resolved_on_as_of(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)  # an elderly-care institution, a general and a major hazard due 30 Sep
    await run_tick(clean_db, settings, "2025-10-09")  # general: 催办; major: 督办
    await run_tick(clean_db, settings, "2025-10-14")  # general: 督办; major: 挂牌督办
    await move(client, admin.headers, w.general, "rectify", "2025-10-15")  # resolves the general's two
    expected = {"2025-10-08": 0, "2025-10-09": 2, "2025-10-14": 4, "2025-10-15": 2, "2025-12-31": 2}
    for as_of, count in expected.items():
        body = await summary(client, admin.headers, as_of)
        assert kind(body, "elderly_care")["escalations_open"] == count, as_of
        assert kind(body, "funeral")["escalations_open"] == 0
    r = await client.get(
        f"{API}/reports/breakdown",
        params={**YEAR, "as_of": "2025-10-14", "group_by": "severity"},
        headers=admin.headers,
    )
    assert {g["key"]: g["escalations_open"] for g in r.json()["groups"]} == {"general": 2, "major": 2}


async def test_follow_ups_due_from_the_verify_until_the_next_inspection(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    await move(client, admin.headers, w.major, "rectify", "2025-09-25")
    await move(client, admin.headers, w.major, "verify", "2025-09-26")  # a follow-up (回头看) is due
    await move(client, admin.headers, w.general, "rectify", "2025-09-25")
    await move(client, admin.headers, w.general, "verify", "2025-09-26")  # general: none
    await inspect(client, admin.headers, w.institution_id, w.officer_ids, "2025-10-20", [])
    expected = {"2025-09-25": 0, "2025-09-26": 1, "2025-10-19": 1, "2025-10-20": 0}
    for as_of, count in expected.items():
        body = await summary(client, admin.headers, as_of)
        assert kind(body, "elderly_care")["follow_ups_due"] == count, as_of
        assert body["follow_ups_due"] == count
        assert kind(body, "funeral")["follow_ups_due"] == 0


async def test_a_county_sees_only_its_own(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database, settings: Settings
) -> None:
    await world(client, admin.headers, region_code=OTHER_REGION)
    await run_tick(clean_db, settings, "2025-10-14")  # one tick raises every level due by then: 2 + 2
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    own = await summary(client, supervisor.headers, "2025-10-14")
    assert [(k["escalations_open"], k["follow_ups_due"]) for k in own["kinds"]] == [(0, 0), (0, 0)]
    everything = await summary(client, admin.headers, "2025-10-14")
    assert kind(everything, "elderly_care")["escalations_open"] == 4
