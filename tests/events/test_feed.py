"""GET /events: every role reads its region's events, oldest first; `types` filters; `next_cursor` is never null
and a client following it gets every event once; bad input is a 422 naming the parameter (both databases)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from app.auth.models import Role
from app.core.pagination import cursor_key, encode_cursor, sign_cursor
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, TEST_SECRET, Actor, ActorFactory
from tests.events.helpers import EVENTS, follow, settled, stored
from tests.hazards.helpers import hazard_url, new_inspection
from tests.problems import error_locs, problem_of

pytestmark = pytest.mark.real_commits  # see tests/conftest.py


async def test_the_feed_needs_credentials(client: httpx.AsyncClient) -> None:
    problem_of(await client.get(EVENTS), 401)
    problem_of(await client.get(EVENTS, headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_its_regions_events_only(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor, make_actor: ActorFactory, role: Role
) -> None:
    own = await new_inspection(client, admin.headers, region_code=OWN_REGION)
    other = await new_inspection(client, admin.headers, region_code=OTHER_REGION)
    reader = await make_actor(role, OWN_REGION)
    seen, _ = await follow(client, reader.headers, clean_db)
    assert [e["region_code"] for e in seen] == [OWN_REGION] * 3
    assert [e["data"].get("inspection_id") for e in seen] == [own["id"]] * 3
    elsewhere = await make_actor(role, OTHER_REGION)
    seen, _ = await follow(client, elsewhere.headers, clean_db)
    assert {e["data"]["inspection_id"] for e in seen} == {other["id"]}


async def test_a_province_sees_both_counties_in_commit_order(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database
) -> None:
    first = await new_inspection(client, admin.headers, region_code=OWN_REGION)
    second = await new_inspection(client, admin.headers, region_code=OTHER_REGION)
    province = await make_actor(Role.viewer, "50")
    seen, _ = await follow(client, province.headers, clean_db, limit=2)
    assert [e["data"]["inspection_id"] for e in seen] == [first["id"]] * 3 + [second["id"]] * 3
    assert [(e["type"], e["region_code"], e["data"]) for e in seen] == await stored(clean_db)
    event = seen[0]
    assert set(event) == {"id", "type", "occurred_at", "region_code", "data"}
    assert event["type"] == "inspection.created" and event["occurred_at"].endswith(("Z", "+00:00"))
    nobody = await make_actor(Role.admin, "11")  # 北京市
    assert (await follow(client, nobody.headers, clean_db))[0] == []


async def test_types_filters_and_an_unknown_type_is_422(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    hazard_id = (await new_inspection(client, admin.headers))["hazards"][0]["id"]
    r = await client.post(
        hazard_url(hazard_id, "/transitions"), json={"action": "start", "on": "2023-05-05"}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    seen, _ = await follow(client, admin.headers, clean_db, types="hazard.transitioned, inspection.created,")
    assert [e["type"] for e in seen] == ["inspection.created", "hazard.transitioned"]
    seen, _ = await follow(client, admin.headers, clean_db, types="hazard.created")
    assert [e["type"] for e in seen] == ["hazard.created"] * 2
    seen, _ = await follow(client, admin.headers, clean_db, types="")
    assert len(seen) == 4
    for bad in ("hazard.deleted", "inspection.created,nope", "x" * 1001):
        problem = problem_of(await client.get(EVENTS, params={"types": bad}, headers=admin.headers), 422)
        assert error_locs(problem) == [["query", "types"]], problem


async def test_limit_bounds(client: httpx.AsyncClient, admin: Actor) -> None:
    for bad in ("0", "501", "x"):
        problem = problem_of(await client.get(EVENTS, params={"limit": bad}, headers=admin.headers), 422)
        assert error_locs(problem) == [["query", "limit"]], problem
    assert (await client.get(EVENTS, params={"limit": 500}, headers=admin.headers)).status_code == 200


async def test_pages_follow_the_cursor_and_an_empty_page_skips_nothing(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    empty = await client.get(EVENTS, headers=admin.headers)
    assert empty.status_code == 200 and empty.json()["items"] == []
    start = empty.json()["next_cursor"]
    assert isinstance(start, str) and start, "never null, even for an empty feed"
    await new_inspection(client, admin.headers)  # 3 events
    await settled(clean_db)
    r = await client.get(EVENTS, params={"cursor": start, "limit": 2}, headers=admin.headers)
    page1 = r.json()
    assert [e["type"] for e in page1["items"]] == ["inspection.created", "hazard.created"]
    page2 = (await client.get(EVENTS, params={"cursor": page1["next_cursor"]}, headers=admin.headers)).json()
    assert [e["type"] for e in page2["items"]] == ["hazard.created"]
    tail = (await client.get(EVENTS, params={"cursor": page2["next_cursor"]}, headers=admin.headers)).json()
    assert tail["items"] == [] and tail["next_cursor"] == page2["next_cursor"], "polling again skips nothing"
    await new_inspection(client, admin.headers)
    later, _ = await follow(client, admin.headers, clean_db, cursor=tail["next_cursor"])
    assert [e["type"] for e in later] == ["inspection.created", "hazard.created", "hazard.created"]
    again = (await client.get(EVENTS, params={"cursor": page1["next_cursor"]}, headers=admin.headers)).json()
    assert [e["id"] for e in again["items"]] == [page2["items"][0]["id"], *(e["id"] for e in later)]


async def test_a_bad_or_forged_cursor_is_422(client: httpx.AsyncClient, clean_db: Database, admin: Actor) -> None:
    await new_inspection(client, admin.headers)
    await settled(clean_db)
    issued = (await client.get(EVENTS, params={"limit": 1}, headers=admin.headers)).json()["next_cursor"]
    position, _, tag = issued.rpartition(".")
    forged_position = base64.urlsafe_b64encode(json.dumps([0, 0]).encode()).decode().rstrip("=")
    other_list = (await client.get("/api/v1/hazards", params={"limit": 1}, headers=admin.headers)).json()
    key = cursor_key(TEST_SECRET)
    cursors = [
        "garbage",
        f"{forged_position}.{tag}",  # another position under the issued tag
        f"{position}.{tag[:-2]}AA",
        other_list["next_cursor"],  # issued for another list
        sign_cursor(key, EVENTS, encode_cursor(["a", 1])),  # signed, but not a feed position
        sign_cursor(key, EVENTS, encode_cursor([1])),
        sign_cursor(key, EVENTS, encode_cursor([-5, 1])),
        "x" * 2001,
    ]
    for cursor in cursors:
        problem = problem_of(await client.get(EVENTS, params={"cursor": cursor}, headers=admin.headers), 422)
        assert error_locs(problem) == [["query", "cursor"]], (cursor, problem)
    assert (await client.get(EVENTS, params={"cursor": issued}, headers=admin.headers)).status_code == 200
