"""检查计划 pages (server side, both databases): plans with their coverage as the API computes it, a plan's
coverage by township and the institutions short of it, its draws with their verification (a tampered draw
shows 验证未通过), region scope, bad query input."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.auth.models import Role
from app.db.session import Database
from app.plans.models import Draw
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_sessions import sign_in

ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})"')


@dataclass(frozen=True)
class Planned:
    plan: dict[str, Any]
    institutions: dict[str, str]
    draw: dict[str, Any]
    admin_headers: dict[str, str]


@pytest.fixture
async def planned(client: httpx.AsyncClient, make_actor: ActorFactory) -> Planned:
    """A 2023 plan over 500240's elderly-care homes, two inspections each required: A covered (inspected twice),
    B partly (once), C not visited; one draw."""
    h = (await make_actor(Role.admin, "")).headers
    inst = {
        "A": (await factories.institution(client, h, name="A敬老院", township="南宾街道"))["id"],
        "B": (await factories.institution(client, h, name="B敬老院", township="南宾街道"))["id"],
        "C": (await factories.institution(client, h, name="C敬老院", township="西沱镇"))["id"],
    }
    officers = [(await factories.officer(client, h, name=f"执法员{i}"))["id"] for i in range(2)]
    for name, on in (("A", "2023-03-01"), ("A", "2023-09-01"), ("B", "2023-04-01")):
        await factories.inspect(client, h, inst[name], officers, on, [])
    body = {
        "year": 2023,
        "name": "2023年养老机构常规检查计划",
        "kinds": ["elderly_care"],
        "region_code": OWN_REGION,
        "type": "routine",
        "period_from": "2023-01-01",
        "period_to": "2023-12-31",
        "required_inspections": 2,
    }
    r = await client.post("/api/v1/plans", json=body, headers=h)
    assert r.status_code == 201, r.text
    plan = r.json()
    r = await client.post(
        f"/api/v1/plans/{plan['id']}/draws",
        json={"planned_on": "2023-06-01", "count": 1, "team_size": 2, "seed": "ab" * 16},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return Planned(plan, inst, r.json(), h)


async def _viewer(client: httpx.AsyncClient, make_actor: ActorFactory, region: str = OWN_REGION) -> None:
    client.cookies.clear()
    user = await make_actor(Role.viewer, region)
    assert (await sign_in(client, user.username)).status_code == 303


def _cells(html: str, plan_id: str) -> list[str]:
    row = re.search(rf'<tr data-id="{plan_id}">(.*?)</tr>', html, re.S)
    assert row is not None
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


@pytest.mark.parametrize(
    "path", ["/console/plans", "/console/plans?year=2023", "/console/plans/5b0e3c6a-8f1d-4e7a-9c2b-1d4f6a8e0b3c"]
)
async def test_without_a_session_plans_go_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=%2Fconsole%2Fplans")


async def test_plans_with_their_coverage(client: httpx.AsyncClient, make_actor: ActorFactory, planned: Planned) -> None:
    await _viewer(client, make_actor)
    r = await client.get("/console/plans")
    assert r.status_code == 200, r.text
    assert ROW.findall(r.text) == [planned.plan["id"]]
    api = (await client.get(f"/api/v1/plans/{planned.plan['id']}/coverage", headers=planned.admin_headers)).json()
    assert (api["in_scope"], api["covered"], api["partly_covered"], api["not_visited"]) == (3, 1, 1, 1)
    cells = _cells(r.text, planned.plan["id"])
    assert cells[5:] == ["3", "1", "1", "1", "33.3%"]
    assert "养老机构" in cells[2] and cells[3] == "常规检查" and cells[4] == "2023-01-01 至 2023-12-31"
    assert ROW.findall((await client.get("/console/plans?year=2022")).text) == []
    assert "没有符合条件的检查计划" in (await client.get("/console/plans?year=2022")).text
    assert ROW.findall((await client.get("/console/plans?year=2023&region_code=500240")).text) == [planned.plan["id"]]


async def test_a_plan_its_coverage_and_verified_draws(
    client: httpx.AsyncClient, make_actor: ActorFactory, planned: Planned, clean_db: Database
) -> None:
    await _viewer(client, make_actor)
    url = f"/console/plans/{planned.plan['id']}"
    r = await client.get(url)
    assert r.status_code == 200, r.text
    assert "2023年养老机构常规检查计划" in r.text
    figures = dict(re.findall(r'data-coverage="(\w+)">([^<]*)<', r.text))
    assert figures == {
        "in_scope": "3",
        "covered": "1",
        "partly_covered": "1",
        "not_visited": "1",
        "coverage_rate": "33.3%",
    }
    assert re.search(r"南宾街道</th><td>2</td><td>1</td><td>1</td><td>0</td><td>50%", r.text)
    assert re.search(r"西沱镇</th><td>1</td><td>0</td><td>0</td><td>1</td><td>0%", r.text)
    assert f'<li data-id="{planned.institutions["C"]}">' in r.text  # not yet visited
    assert re.search(rf'<li data-id="{planned.institutions["B"]}">.*已检查 1 次,应检 2 次', r.text)
    # The draw, its team and its verification.
    assert f'data-id="{planned.draw["id"]}"' in r.text and "ab" * 16 in r.text
    team = planned.draw["teams"][0]
    assert f'<tr data-id="{team["institution_id"]}">' in r.text and "、".join(team["officer_names"]) in r.text
    assert 'data-verified="true">验证通过' in r.text

    async with clean_db.sessionmaker() as s:
        draw = await s.get(Draw, uuid.UUID(planned.draw["id"]))
        assert draw is not None
        swapped = [{**draw.result[0], "officer_ids": list(reversed(draw.result[0]["officer_ids"]))}]
        await s.execute(update(Draw).where(Draw.id == draw.id).values(result=swapped))
        await s.commit()
    r = await client.get(url)
    assert 'data-verified="false">验证未通过' in r.text and "签名不匹配" in r.text
    assert "重新计算的结果与留存结果不一致" in r.text


async def test_a_plan_without_draws_says_so(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    admin = await make_actor(Role.admin, "")
    body = {
        "year": 2024,
        "name": "2024年殡葬专项",
        "kinds": ["funeral"],
        "region_code": OWN_REGION,
        "type": "special",
        "campaign": "殡葬领域专项整治",
        "period_from": "2024-01-01",
        "period_to": "2024-06-30",
    }
    r = await client.post("/api/v1/plans", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    await _viewer(client, make_actor)
    page = await client.get(f"/console/plans/{r.json()['id']}")
    assert page.status_code == 200
    assert "该计划尚未随机抽取" in page.text and "该计划范围内没有登记的机构" in page.text
    assert "专项检查(殡葬领域专项整治)" in page.text and 'data-coverage="coverage_rate">—' in page.text


async def test_another_county_sees_no_plan_of_500240(
    client: httpx.AsyncClient, make_actor: ActorFactory, planned: Planned
) -> None:
    await _viewer(client, make_actor, OTHER_REGION)
    r = await client.get("/console/plans")
    assert r.status_code == 200 and ROW.findall(r.text) == [] and "2023年养老机构" not in r.text
    r = await client.get(f"/console/plans/{planned.plan['id']}")
    assert r.status_code == 404 and "未找到该检查计划" in r.text and "A敬老院" not in r.text
    r = await client.get("/console/plans", params={"region_code": OWN_REGION})
    assert r.status_code == 403 and 'id="region_code-error"' in r.text
    for ident in ("nope", str(uuid.uuid4())):
        assert (await client.get(f"/console/plans/{ident}")).status_code == 404


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("year", "1999", "年度应为"),
        ("year", "23", "年度应为"),
        ("year", "二〇二三", "年度应为"),
        ("region_code", "abc", "行政区划代码应为"),
        ("cursor", "forged.tag", "翻页链接已失效"),
    ],
)
async def test_bad_plan_filters_are_a_message_beside_the_control(
    client: httpx.AsyncClient, make_actor: ActorFactory, name: str, value: str, message: str
) -> None:
    await _viewer(client, make_actor)
    r = await client.get("/console/plans", params={name: value})
    assert r.status_code == 422 and f'id="{name}-error"' in r.text and message in r.text
