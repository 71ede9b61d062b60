"""Transitions over HTTP beyond the role/state matrix: ETag and If-Match, evidence_ids, region scoping,
credentials, the default `on`, and the history endpoint's paging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from app.core.clock import frozen_clock
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import (
    API,
    FOUND_ON,
    assert_problem,
    drive,
    hazard_url,
    history,
    move,
    new_hazard,
    new_inspection,
    read,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_if_match_current_etag_succeeds_with_a_new_etag(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    _, etag = await read(client, admin.headers, hazard_id)
    assert (await read(client, admin.headers, hazard_id))[1] == etag  # stable while nothing changes
    r = await move(client, admin.headers, hazard_id, "start", "2023-05-05", if_match=etag)
    assert r.status_code == 200, r.text
    new_etag = r.headers["etag"]
    assert new_etag != etag
    assert (await read(client, admin.headers, hazard_id))[1] == new_etag
    # a list of candidates containing the current one matches too
    r = await move(client, admin.headers, hazard_id, "rectify", "2023-05-06", if_match=f'"nope", {new_etag}')
    assert r.status_code == 200, r.text


async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    supervisor = await make_actor("supervisor", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    _, first = await read(client, admin.headers, hazard_id)
    assert (await move(client, admin.headers, hazard_id, "rectify", "2023-05-06", if_match=first)).status_code == 200
    before, current = await read(client, admin.headers, hazard_id)
    hist = await history(client, admin.headers, hazard_id)
    for stale in (first, '"garbage"', f'"{uuid.uuid4().hex}.2"'):
        r = await move(client, supervisor.headers, hazard_id, "verify", "2023-05-07", if_match=stale)
        body = assert_problem(r, 412)
        assert current in body["detail"]
    after, etag_after = await read(client, admin.headers, hazard_id)
    assert (after["status"], after["verified_on"], after["updated_at"]) == ("rectified", None, before["updated_at"])
    assert etag_after == current
    assert await history(client, admin.headers, hazard_id) == hist


async def test_if_match_star_is_accepted(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    r = await move(client, admin.headers, hazard_id, "void", "2023-05-05", note="重复登记", if_match="*")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "voided"


async def test_stale_if_match_wins_over_an_illegal_move(client: httpx.AsyncClient, admin: Actor) -> None:
    """412 is about the version the client saw: it is answered before the move is judged."""
    hazard_id = await new_hazard(client, admin.headers)
    assert_problem(await move(client, admin.headers, hazard_id, "verify", "2023-05-05", if_match='"x"'), 412)


async def test_etag_changes_after_every_move(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    _, etag = await read(client, admin.headers, hazard_id)
    seen = [etag]
    moves = [
        ("start", "2023-05-05"),
        ("rectify", "2023-05-06"),
        ("reject", "2023-05-07"),
        ("rectify", "2023-05-08"),
        ("verify", "2023-05-09"),
    ]
    for action, on in moves:
        r = await move(client, admin.headers, hazard_id, action, on, if_match=seen[-1])
        assert r.status_code == 200, r.text
        data, etag = await read(client, admin.headers, hazard_id)
        assert r.headers["etag"] == etag
        assert data["status"] == r.json()["status"]
        seen.append(etag)
    assert len(set(seen)) == len(seen) == 6
    assert all(e.startswith('"') and e.endswith('"') for e in seen)


async def test_evidence_of_another_hazard_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    mine, other = (h["id"] for h in inspection["hazards"])
    up_mine = await client.post(
        hazard_url(mine, "/evidence"), headers=admin.headers, files={"file": ("a.png", PNG, "image/png")}
    )
    up_other = await client.post(
        hazard_url(other, "/evidence"), headers=admin.headers, files={"file": ("b.png", PNG + b"b", "image/png")}
    )
    assert up_mine.status_code == up_other.status_code == 201
    mine_ev, other_ev = up_mine.json()["id"], up_other.json()["id"]

    r = await move(client, admin.headers, mine, "rectify", "2023-05-06", evidence_ids=[other_ev])
    assert_problem(r, 422, ["body", "evidence_ids", 0])
    r = await move(client, admin.headers, mine, "rectify", "2023-05-06", evidence_ids=[mine_ev, str(uuid.uuid4())])
    body = assert_problem(r, 422, ["body", "evidence_ids", 1])
    assert [e["loc"] for e in body["errors"]] == [["body", "evidence_ids", 1]]
    assert (await read(client, admin.headers, mine))[0]["status"] == "open"
    assert len(await history(client, admin.headers, mine)) == 1

    r = await move(client, admin.headers, mine, "rectify", "2023-05-06", evidence_ids=[mine_ev])
    assert r.status_code == 200, r.text
    assert (await history(client, admin.headers, mine))[-1]["evidence_ids"] == [mine_ev]


@pytest.mark.parametrize("role", ["admin", "supervisor", "inspector", "viewer"])
async def test_other_region_hazard_is_404(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: str
) -> None:
    hazard_id = await new_hazard(client, admin.headers)  # in OWN_REGION
    up = await client.post(
        hazard_url(hazard_id, "/evidence"), headers=admin.headers, files={"file": ("a.png", PNG, "image/png")}
    )
    evidence_id = up.json()["id"]
    outsider = await make_actor(role, OTHER_REGION)
    h = outsider.headers
    assert_problem(await client.get(hazard_url(hazard_id), headers=h), 404)
    assert_problem(await client.get(hazard_url(hazard_id, "/history"), headers=h), 404)
    assert_problem(await client.get(hazard_url(hazard_id, "/evidence"), headers=h), 404)
    assert_problem(await client.get(hazard_url(hazard_id, f"/evidence/{evidence_id}"), headers=h), 404)
    if role != "viewer":  # a viewer is refused any write before the hazard is looked up (403, see the matrix)
        assert_problem(await move(client, h, hazard_id, "start", "2023-05-05", if_match="*"), 404)
        assert_problem(
            await client.post(
                hazard_url(hazard_id, "/evidence"), headers=h, files={"file": ("b.png", PNG + b"b", "image/png")}
            ),
            404,
        )
    listing = await client.get(f"{API}/hazards", headers=h)
    assert listing.status_code == 200 and listing.json()["items"] == []
    assert (await read(client, admin.headers, hazard_id))[0]["status"] == "open"
    assert len(await history(client, admin.headers, hazard_id)) == 1
    inside = await make_actor(role, OWN_REGION)
    assert (await client.get(hazard_url(hazard_id), headers=inside.headers)).status_code == 200


async def test_hazard_in_a_sibling_region_is_404_for_a_county_user(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers, region_code=OTHER_REGION)
    supervisor = await make_actor("supervisor", OWN_REGION)
    assert_problem(await move(client, supervisor.headers, hazard_id, "void", "2023-05-05", note="x"), 404)
    city = await make_actor("supervisor", "50")  # Chongqing covers both counties
    r = await move(client, city.headers, hazard_id, "void", "2023-05-05", note="重复登记")
    assert r.status_code == 200, r.text


async def test_unknown_hazard_is_404(client: httpx.AsyncClient, admin: Actor) -> None:
    missing = str(uuid.uuid4())
    assert_problem(await client.get(hazard_url(missing), headers=admin.headers), 404)
    assert_problem(await move(client, admin.headers, missing, "start", "2023-05-05"), 404)
    assert_problem(await client.get(hazard_url(missing, "/history"), headers=admin.headers), 404)
    assert_problem(await client.get(hazard_url("not-a-uuid"), headers=admin.headers), 422)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}],
    ids=["none", "bad-token", "basic"],
)
async def test_no_credentials_is_401(client: httpx.AsyncClient, admin: Actor, headers: dict[str, str]) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    for r in (
        await client.get(hazard_url(hazard_id), headers=headers),
        await move(client, headers, hazard_id, "start", "2023-05-05"),
        await client.get(hazard_url(hazard_id, "/history"), headers=headers),
        await client.get(f"{API}/hazards", headers=headers),
        await client.get(hazard_url(hazard_id, "/evidence"), headers=headers),
        await client.post(
            hazard_url(hazard_id, "/evidence"), headers=headers, files={"file": ("a.png", PNG, "image/png")}
        ),
    ):
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
    assert (await read(client, admin.headers, hazard_id))[0]["status"] == "open"
    assert len(await history(client, admin.headers, hazard_id)) == 1


@pytest.mark.parametrize(
    ("at", "today"),
    [
        (datetime(2023, 5, 15, 2, 0, tzinfo=UTC), "2023-05-15"),
        (datetime(2023, 5, 15, 20, 0, tzinfo=UTC), "2023-05-16"),  # already the 16th in Asia/Shanghai
    ],
)
async def test_on_omitted_defaults_to_today(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, at: datetime, today: str
) -> None:
    inspector = await make_actor("inspector", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    with frozen_clock(at):
        r = await move(client, inspector.headers, hazard_id, "rectify")
    assert r.status_code == 200, r.text
    assert r.json()["rectified_on"] == today
    entry = (await history(client, admin.headers, hazard_id))[-1]
    assert (entry["action"], entry["on"], entry["at"][:10]) == ("rectify", today, at.date().isoformat())


async def test_on_omitted_before_found_on_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    """With the clock before the inspection date, the default `on` (today) breaks the found_on rule."""
    hazard_id = await new_hazard(client, admin.headers)
    with frozen_clock(datetime(2023, 5, 3, 12, 0, tzinfo=UTC)):
        assert_problem(await move(client, admin.headers, hazard_id, "start"), 422, ["body", "on"])
    assert (await read(client, admin.headers, hazard_id))[0]["status"] == "open"


async def test_history_pages_oldest_first(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    supervisor = await make_actor("supervisor", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "verified")
    full = await history(client, supervisor.headers, hazard_id)
    assert [(h["seq"], h["action"], h["from"], h["to"], h["on"]) for h in full] == [
        (1, "create", None, "open", FOUND_ON),
        (2, "rectify", "open", "rectified", "2023-05-06"),
        (3, "verify", "rectified", "verified", "2023-05-07"),
    ]
    assert full[0]["actor_name"] == admin.username and full[0]["actor_role"] == "admin"
    pages, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        r = await client.get(hazard_url(hazard_id, "/history"), params=params, headers=supervisor.headers)
        assert r.status_code == 200, r.text
        pages.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == full
    assert_problem(
        await client.get(hazard_url(hazard_id, "/history"), params={"limit": "501"}, headers=admin.headers), 422
    )
