"""Concurrent requests on one hazard (asyncio.gather over the same ASGI app; on PostgreSQL the requests
really overlap, each on its own connection): moves are serialized, so exactly one of several competing moves
wins, the history gains one entry per accepted move, and the stored state is the winner's."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import (
    API,
    assert_problem,
    drive,
    hazard_url,
    history,
    move,
    new_hazard,
    new_inspection,
    read,
)

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

NOTE = "并发测试"


async def _race(
    client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str, actions: list[str], if_match: str | None
) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *[
                move(client, headers, hazard_id, action, "2023-05-09", note=NOTE, if_match=if_match)
                for action in actions
            ]
        )
    )


@pytest.mark.parametrize("actions", [["verify", "reject"], ["reject", "verify"], ["verify", "void"]])
async def test_two_moves_with_the_same_if_match(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, actions: list[str]
) -> None:
    supervisor = await make_actor("supervisor", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "rectified")
    _, etag = await read(client, admin.headers, hazard_id)
    before = await history(client, admin.headers, hazard_id)

    responses = await _race(client, supervisor.headers, hazard_id, actions, etag)

    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 412], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code != 200)
    assert_problem(loser, 412)
    winner = next(r for r in responses if r.status_code == 200)
    won = actions[responses.index(winner)]
    stored, stored_etag = await read(client, admin.headers, hazard_id)
    assert (
        stored["status"]
        == winner.json()["status"]
        == {"verify": "verified", "reject": "rectifying", "void": "voided"}[won]
    )
    assert stored_etag == winner.headers["etag"] != etag
    after = await history(client, admin.headers, hazard_id)
    assert after[:-1] == before and len(after) == len(before) + 1
    assert (after[-1]["action"], after[-1]["from"], after[-1]["to"]) == (won, "rectified", stored["status"])


async def test_two_moves_without_if_match(client: httpx.AsyncClient, admin: Actor) -> None:
    """The second move sees the first one's result, so it is illegal from there (409)."""
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "rectified")
    responses = await _race(client, admin.headers, hazard_id, ["verify", "reject"], None)
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    stored, _ = await read(client, admin.headers, hazard_id)
    assert stored["status"] == winner.json()["status"]
    assert len(await history(client, admin.headers, hazard_id)) == 3


async def test_the_same_move_twice(client: httpx.AsyncClient, admin: Actor) -> None:
    """A double-tapped "verify" is recorded once."""
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "rectified")
    responses = await _race(client, admin.headers, hazard_id, ["verify", "verify"], None)
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert [h["action"] for h in await history(client, admin.headers, hazard_id)] == ["create", "rectify", "verify"]


EIGHT = ["verify", "reject", "void", "verify", "reject", "void", "verify", "reject"]


async def test_eight_moves_with_the_same_if_match(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "rectified")
    _, etag = await read(client, admin.headers, hazard_id)
    responses = await _race(client, admin.headers, hazard_id, EIGHT, etag)
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1 and codes.count(412) == 7, [r.text for r in responses]
    winner = responses[codes.index(200)]
    stored, stored_etag = await read(client, admin.headers, hazard_id)
    assert stored["status"] == winner.json()["status"] and stored_etag == winner.headers["etag"]
    after = await history(client, admin.headers, hazard_id)
    assert [h["action"] for h in after] == ["create", "rectify", EIGHT[codes.index(200)]]


async def test_eight_moves_without_if_match_form_one_chain(client: httpx.AsyncClient, admin: Actor) -> None:
    """Without If-Match several moves may succeed one after another (reject then verify is illegal, reject then
    void is not), but never two from the same state: the history is one unbroken chain with exactly one entry
    per 200, and the stored hazard is where the chain ends."""
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "rectified")
    responses = await _race(client, admin.headers, hazard_id, EIGHT, None)
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, [r.text for r in responses]
    hist = await history(client, admin.headers, hazard_id)
    moves = hist[2:]
    assert len(moves) == codes.count(200) >= 1
    assert sorted(h["action"] for h in moves) == sorted(a for a, c in zip(EIGHT, codes, strict=True) if c == 200)
    for prev, cur in itertools.pairwise(hist):
        assert cur["from"] == prev["to"], hist
    assert [h["seq"] for h in hist] == list(range(1, len(hist) + 1))
    stored, _ = await read(client, admin.headers, hazard_id)
    assert stored["status"] == hist[-1]["to"]
    assert {r.json()["status"] for r in responses if r.status_code == 200} == {h["to"] for h in moves}


async def test_concurrent_replays_of_one_new_hazard_create_it_once(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "category": "gas",
        "severity": "major",
        "description": "燃气报警器失效",
    }
    url = f"{API}/inspections/{inspection['id']}/hazards"
    responses = await asyncio.gather(*[client.post(url, json=body, headers=admin.headers) for _ in range(4)])
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert {r.json()["id"] for r in responses} == {body["id"]}
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert [h["id"] for h in stored["hazards"]].count(body["id"]) == 1
    assert len(stored["hazards"]) == 3
    assert len(await history(client, admin.headers, body["id"])) == 1


async def test_concurrent_additions_keep_every_hazard(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    url = f"{API}/inspections/{inspection['id']}/hazards"
    bodies = [{"category": "other", "severity": "general", "description": f"问题{i}"} for i in range(5)]
    responses = await asyncio.gather(*[client.post(url, json=b, headers=admin.headers) for b in bodies])
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    descriptions = [h["description"] for h in stored["hazards"]]
    assert descriptions[:2] == [h["description"] for h in inspection["hazards"]]
    assert sorted(descriptions[2:]) == [f"问题{i}" for i in range(5)]


async def test_concurrent_uploads_of_the_same_file(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    png = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 8
    responses = await asyncio.gather(
        *[
            client.post(
                hazard_url(hazard_id, "/evidence"),
                headers=admin.headers,
                files={"file": (f"{i}.png", png, "image/png")},
            )
            for i in range(4)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    listing = await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)
    assert len(listing.json()["items"]) == 1
