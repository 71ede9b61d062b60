"""Random draws over HTTP: reproducible from the stored seed, recusal honoured, immutable, redraws with a
reason, and tampering detected by the verify endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.auth.models import Role
from app.db.session import Database
from app.plans.models import Draw
from tests.conftest import ActorFactory
from tests.plans.conftest import PLANS, County

DRAW = {"planned_on": "2023-06-01", "count": 2, "team_size": 2, "max_teams_per_officer": 1}


async def _draw(client: httpx.AsyncClient, county: County, **extra: Any) -> httpx.Response:
    return await client.post(f"{PLANS}/{county.plan['id']}/draws", json={**DRAW, **extra}, headers=county.admin.headers)


async def test_draw_is_reproducible_and_verifiable(client: httpx.AsyncClient, county: County) -> None:
    r = await _draw(client, county, seed="ab" * 16)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["algorithm"] == "sha256-rank-v1" and d["seed"] == "ab" * 16
    assert d["candidate_institutions"] == 4  # A–D; closed, funeral and other-region ones are out of scope
    assert d["candidate_officers"] == 5  # the expired officer is not certified on 2023-06-01
    assert len(d["teams"]) == 2
    officers = [o for t in d["teams"] for o in t["officer_ids"]]
    assert len(officers) == len(set(officers)) == 4  # max one team each
    assert county.expired_officer not in officers
    v = await client.get(f"{PLANS}/{county.plan['id']}/draws/{d['id']}/verify", headers=county.admin.headers)
    assert v.json() == {
        "draw_id": d["id"],
        "algorithm": "sha256-rank-v1",
        "valid": True,
        "result_matches": True,
        "signature_matches": True,
    }
    again = await _draw(client, county, seed="ab" * 16, reason="复核: 同一种子重抽")
    assert again.status_code == 201
    assert again.json()["teams"] == d["teams"], "the same seed over the same candidates gives the same draw"
    assert again.json()["replaces_draw_id"] == d["id"]


async def test_redraw_needs_a_reason(client: httpx.AsyncClient, county: County) -> None:
    assert (await _draw(client, county)).status_code == 201
    r = await _draw(client, county)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "reason"]
    listing = await client.get(f"{PLANS}/{county.plan['id']}/draws", headers=county.admin.headers)
    assert len(listing.json()["items"]) == 1


async def test_recused_officers_are_never_drawn_for_that_institution(client: httpx.AsyncClient, county: County) -> None:
    h = county.admin.headers
    for officer in county.officers[:3]:
        r = await client.post(
            f"/api/v1/officers/{officer}/conflicts",
            headers=h,
            json={"institution_id": county.institutions["A"], "reason": "近亲属在该院任职"},
        )
        assert r.status_code == 201, r.text
    again = await client.post(
        f"/api/v1/officers/{county.officers[0]}/conflicts",
        headers=h,
        json={"institution_id": county.institutions["A"], "reason": "重复"},
    )
    assert again.status_code == 200 and again.json()["reason"] == "近亲属在该院任职"
    listed = await client.get(f"/api/v1/officers/{county.officers[0]}/conflicts", headers=h)
    assert [c["institution_name"] for c in listed.json()["items"]] == ["A敬老院"]
    for i in range(10):
        r = await _draw(
            client, county, count=4, max_teams_per_officer=2, seed=f"{i:02x}" * 16, **({"reason": "测试"} if i else {})
        )
        assert r.status_code == 201, r.text
        team_a = next(t for t in r.json()["teams"] if t["institution_id"] == county.institutions["A"])
        assert set(team_a["officer_ids"]) == set(county.officers[3:5])


async def test_impossible_draws_are_422(client: httpx.AsyncClient, county: County) -> None:
    r = await _draw(client, county, count=3)  # 3 teams × 2 officers > 5 officers × 1 team
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "team_size"]
    r = await _draw(client, county, count=9)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "count"]
    r = await _draw(client, county, count=None)
    assert r.status_code == 422
    r = await _draw(client, county, count=None, ratio=0.5)
    assert r.status_code == 201 and len(r.json()["teams"]) == 2


@pytest.mark.parametrize("field", ["result", "candidates", "seed", "parameters"])
async def test_verify_detects_a_tampered_draw(
    client: httpx.AsyncClient, county: County, clean_db: Database, field: str
) -> None:
    d = (await _draw(client, county, seed="cd" * 16)).json()
    async with clean_db.sessionmaker() as s:
        draw = (await s.execute(select(Draw).where(Draw.id == uuid.UUID(d["id"])))).scalar_one()
        tampered: dict[str, Any] = {
            "result": [
                {**draw.result[0], "officer_ids": list(reversed(draw.result[0]["officer_ids"]))},
                *draw.result[1:],
            ],
            "candidates": {**draw.candidates, "conflicts": [[county.officers[0], county.institutions["B"]]]},
            "seed": "ef" * 16,
            "parameters": {**draw.parameters, "max_teams_per_officer": 2},
        }
        await s.execute(update(Draw).where(Draw.id == draw.id).values({field: tampered[field]}))
        await s.commit()
    v = (await client.get(f"{PLANS}/{county.plan['id']}/draws/{d['id']}/verify", headers=county.admin.headers)).json()
    assert v["valid"] is False
    assert v["signature_matches"] is False


async def test_draw_roles(client: httpx.AsyncClient, county: County, make_actor: ActorFactory) -> None:
    url = f"{PLANS}/{county.plan['id']}/draws"
    assert (await client.post(url, json=DRAW)).status_code == 401
    for role in (Role.viewer, Role.inspector):
        actor = await make_actor(role)
        assert (await client.post(url, json=DRAW, headers=actor.headers)).status_code == 403
    outsider = await make_actor(Role.supervisor, "500101")
    assert (await client.post(url, json=DRAW, headers=outsider.headers)).status_code == 404
    viewer = await make_actor(Role.viewer)
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
