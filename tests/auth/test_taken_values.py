"""A 409 for a unique value another record holds (issue 13.5): the holder's id is named only when the caller can
see that record; a holder in another county is not revealed, the answer says only that the value is taken."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.institutions.helpers import CREDIT_A
from tests.problems import error_locs, problem_of

API = "/api/v1"
CERTIFICATE = "渝执法-唯一-0001"


def _taken(r: httpx.Response, field: str, holder_id: str, named: bool) -> None:
    problem = problem_of(r, 409)
    assert ["body", field] in error_locs(problem), problem
    assert "already taken" in problem["detail"], problem
    assert (holder_id in r.text) is named, problem


@pytest.fixture
async def counties(make_actor: ActorFactory) -> tuple[Actor, Actor, Actor]:
    """Admins of 石柱 (the holder's county), of 万州 (another county), and a national one."""
    return (
        await make_actor(Role.admin, OWN_REGION),
        await make_actor(Role.supervisor, OTHER_REGION),
        await make_actor(Role.admin, ""),
    )


async def _count(client: httpx.AsyncClient, actor: Actor, path: str) -> int:
    r = await client.get(f"{API}/{path}", params={"limit": 500}, headers=actor.headers)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return len(items)


async def test_a_credit_code_of_another_county_is_only_taken(
    client: httpx.AsyncClient, counties: tuple[Actor, Actor, Actor]
) -> None:
    own, other, national = counties
    holder = (await factories.institution(client, own.headers, credit_code=CREDIT_A))["id"]
    body = {"name": "万州某敬老院", "kind": "elderly_care", "region_code": OTHER_REGION, "credit_code": CREDIT_A}
    _taken(await client.post(f"{API}/institutions", json=body, headers=other.headers), "credit_code", holder, False)
    assert await _count(client, national, "institutions") == 1, "nothing stored for the refused create"
    mine = await factories.institution(client, other.headers, region_code=OTHER_REGION)
    r = await client.patch(f"{API}/institutions/{mine['id']}", json={"credit_code": CREDIT_A}, headers=other.headers)
    _taken(r, "credit_code", holder, False)
    # the holder's own county and a national admin see the holder, so the answer names it
    own_body = {**body, "name": "石柱另一家", "region_code": OWN_REGION}
    _taken(await client.post(f"{API}/institutions", json=own_body, headers=own.headers), "credit_code", holder, True)
    national_body = {**body, "name": "又一家"}
    r = await client.post(f"{API}/institutions", json=national_body, headers=national.headers)
    _taken(r, "credit_code", holder, True)
    assert await _count(client, national, "institutions") == 2


async def test_a_certificate_of_another_county_is_only_taken(
    client: httpx.AsyncClient, counties: tuple[Actor, Actor, Actor]
) -> None:
    own, other, national = counties
    holder = (await factories.officer(client, own.headers, certificate_no=CERTIFICATE))["id"]
    body = {
        "name": "万州执法员",
        "unit": "社会福利中心",
        "region_code": OTHER_REGION,
        "certificate_no": CERTIFICATE,
        "certificate_issued_on": "2020-01-01",
        "certificate_expires_on": "2030-12-31",
    }
    _taken(await client.post(f"{API}/officers", json=body, headers=other.headers), "certificate_no", holder, False)
    assert await _count(client, national, "officers") == 1, "nothing stored for the refused create"
    mine = await factories.officer(client, other.headers, region_code=OTHER_REGION)
    r = await client.patch(f"{API}/officers/{mine['id']}", json={"certificate_no": CERTIFICATE}, headers=other.headers)
    _taken(r, "certificate_no", holder, False)
    own_body = {**body, "region_code": OWN_REGION}
    _taken(await client.post(f"{API}/officers", json=own_body, headers=own.headers), "certificate_no", holder, True)
    r = await client.post(f"{API}/officers", json=body, headers=national.headers)
    _taken(r, "certificate_no", holder, True)
    assert await _count(client, national, "officers") == 2
