"""检查计划, the desk writes (server side, both databases): 制定计划 and 抽取 / 重新抽取 on a plan's page — who may,
region scope, messages beside the field (422, the input kept), the rows stored, a double submit stored once,
conflicts, and the draw shown with its verification."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.plans.conftest import plan_body
from tests.web.console.test_inspection_form import beside
from tests.web.console.test_sessions import ORIGIN, TOKEN, sign_in

NEW = "/console/plans/new"
SEEN = re.compile(r'name="seen" value="([0-9a-f-]*)"')


@dataclass(frozen=True)
class Scope:
    plan: str  # 2023, 500240's elderly-care homes, no draw yet
    other_plan: str  # 万州区
    admin_headers: dict[str, str]


@pytest.fixture
async def scope(client: httpx.AsyncClient, make_actor: ActorFactory) -> Scope:
    h = (await make_actor(Role.admin, "")).headers
    for name in ("A敬老院", "B敬老院", "C敬老院"):
        await factories.institution(client, h, name=name)
    for name in ("谭明", "冉静"):
        await factories.officer(client, h, name=name)
    plans = []
    for region in (OWN_REGION, OTHER_REGION):
        body = plan_body(region_code=region)
        r = await client.post("/api/v1/plans", json=body, headers=h)
        assert r.status_code == 201, r.text
        plans.append(r.json()["id"])
    return Scope(plans[0], plans[1], h)


async def signed_in(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role = Role.supervisor) -> str:
    """Sign in with `role` (500240) and return a CSRF token of its pages."""
    client.cookies.clear()
    assert (await sign_in(client, (await make_actor(role, OWN_REGION)).username)).status_code == 303
    r = await client.get("/console/plans")
    token = TOKEN.search(r.text)
    assert token is not None
    return token.group(1)


def plan_form(token: str, **overrides: Any) -> dict[str, Any]:
    form = {
        "csrf_token": token,
        "id": str(uuid.uuid4()),
        "name": "2023年殡葬机构专项检查计划",
        "year": "2023",
        "kinds": ["funeral", "elderly_care"],
        "region_code": OWN_REGION,
        "type": "special",
        "campaign": "殡葬领域专项整治",
        "period_from": "2023-03-01",
        "period_to": "2023-06-30",
        "required_inspections": "2",
    }
    return factories.overridden(form, overrides)


def draw_form(token: str, seen: str = "", **overrides: Any) -> dict[str, Any]:
    form = {"csrf_token": token, "seen": seen, "planned_on": "2023-06-01", "count": "2", "team_size": "2"}
    return factories.overridden({**form, "max_teams_per_officer": "2", "seed": "ab" * 16}, overrides)


async def post(client: httpx.AsyncClient, url: str, form: dict[str, Any]) -> httpx.Response:
    return await client.post(url, data=form, headers={"Origin": ORIGIN})


async def plans(client: httpx.AsyncClient, scope: Scope) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/plans", headers=scope.admin_headers)
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def draws(client: httpx.AsyncClient, scope: Scope, plan: str | None = None) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/plans/{plan or scope.plan}/draws", headers=scope.admin_headers)
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_without_a_session_the_forms_go_to_sign_in(client: httpx.AsyncClient, scope: Scope) -> None:
    r = await client.get(NEW)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=%2Fconsole%2Fplans%2Fnew"
    token = TOKEN.search((await client.get("/console/login")).text)
    assert token is not None
    for url, form in ((NEW, plan_form(token.group(1))), (f"/console/plans/{scope.plan}", draw_form(token.group(1)))):
        r = await post(client, url, form)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert len(await plans(client, scope)) == 2 and await draws(client, scope) == []


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_roles_that_do_not_plan_see_no_form_and_may_not_post(
    client: httpx.AsyncClient, make_actor: ActorFactory, scope: Scope, role: Role
) -> None:
    token = await signed_in(client, make_actor, role)
    assert "制定计划" not in (await client.get("/console/plans")).text
    page = await client.get(f"/console/plans/{scope.plan}")
    assert page.status_code == 200 and 'name="seen"' not in page.text and ">抽取</button>" not in page.text
    r = await client.get(NEW)
    assert r.status_code == 403 and "需要科室负责人或管理员账号" in r.text
    for url, form in ((NEW, plan_form(token)), (f"/console/plans/{scope.plan}", draw_form(token))):
        r = await post(client, url, form)
        assert r.status_code == 403 and "需要科室负责人或管理员账号" in r.text
    assert len(await plans(client, scope)) == 2 and await draws(client, scope) == []


async def test_a_plan_made_at_the_desk_is_stored_once(
    client: httpx.AsyncClient, make_actor: ActorFactory, scope: Scope
) -> None:
    await signed_in(client, make_actor)
    listing = await client.get("/console/plans")
    assert f'href="{NEW}">制定计划</a>' in listing.text
    r = await client.get(NEW)
    assert r.status_code == 200 and f'name="region_code" type="text" value="{OWN_REGION}"' in r.text
    token = TOKEN.search(r.text)
    assert token is not None
    form = plan_form(token.group(1))
    first, second = await post(client, NEW, form), await post(client, NEW, form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"/console/plans/{form['id']}"
    plan = (await client.get(f"/api/v1/plans/{form['id']}", headers=scope.admin_headers)).json()
    assert (plan["name"], plan["kinds"], plan["type"], plan["campaign"]) == (
        "2023年殡葬机构专项检查计划",
        ["elderly_care", "funeral"],
        "special",
        "殡葬领域专项整治",
    )
    assert (plan["period_from"], plan["period_to"], plan["required_inspections"]) == ("2023-03-01", "2023-06-30", 2)
    assert len(await plans(client, scope)) == 3
    page = await client.get(first.headers["location"])
    assert page.status_code == 200 and "专项检查(殡葬领域专项整治)" in page.text
    r = await post(client, NEW, {**form, "name": "改了名字的计划"})
    assert r.status_code == 409 and "内容与之不同,未保存" in beside(r.text, "form")
    assert f'href="/console/plans/{form["id"]}"' in r.text and 'value="改了名字的计划"' in r.text
    assert len(await plans(client, scope)) == 3


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "请填写计划名称"),
        ({"kinds": ...}, "kinds", "机构类型至少选择1项"),
        ({"kinds": ["zoo"]}, "kinds", "机构类型请从列表中选择"),
        ({"year": "1999"}, "year", "年度不能小于2000"),
        ({"year": "二〇二三"}, "year", "年度请填写整数"),
        ({"period_to": "2023-02-01"}, "period_to", "计划结束日期不能早于开始日期"),
        ({"period_from": "2024-01-01", "period_to": "2024-03-31"}, "period_to", "计划期间须与计划年度有重叠"),
        ({"period_from": "2023年3月1日"}, "period_from", "计划开始日期请填写日期"),
        ({"required_inspections": "0"}, "required_inspections", "每家应检次数不能小于1"),
    ],
)
async def test_bad_plan_input_is_beside_its_field_and_kept(
    client: httpx.AsyncClient,
    make_actor: ActorFactory,
    scope: Scope,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    token = await signed_in(client, make_actor)
    r = await post(client, NEW, plan_form(token, **overrides))
    assert r.status_code == 422, r.text
    assert message in beside(r.text, field)
    assert f'aria-describedby="{field}-error"' in r.text and 'value="殡葬领域专项整治"' in r.text
    assert len(await plans(client, scope)) == 2


async def test_a_plan_outside_the_region_is_refused_and_not_stored(
    client: httpx.AsyncClient, make_actor: ActorFactory, scope: Scope
) -> None:
    token = await signed_in(client, make_actor)
    r = await post(client, NEW, plan_form(token, region_code=OTHER_REGION))
    assert r.status_code == 403
    assert beside(r.text, "region_code") == f"该行政区划({OTHER_REGION})不在您的管辖范围内"
    assert len(await plans(client, scope)) == 2


async def test_draw_then_redraw_with_a_reason_each_shown_verified(
    client: httpx.AsyncClient, make_actor: ActorFactory, scope: Scope
) -> None:
    token = await signed_in(client, make_actor)
    url = f"/console/plans/{scope.plan}"
    page = await client.get(url)
    assert ">抽取</button>" in page.text and 'name="reason"' not in page.text and SEEN.findall(page.text) == [""]
    first = draw_form(token)
    r = await post(client, url, first)
    assert r.status_code == 303, r.text
    [made] = await draws(client, scope)
    assert r.headers["location"] == f"{url}#draw-{made['id']}"
    assert made["seed"] == "ab" * 16 and len(made["teams"]) == 2
    # The second click of the same form draws nothing.
    again = await post(client, url, first)
    assert again.status_code == 409 and "本次未抽取" in beside(again.text, "form")
    assert len(await draws(client, scope)) == 1
    page = await client.get(url)
    assert f'id="draw-{made["id"]}"' in page.text and page.text.count('data-verified="true">验证通过') == 1
    assert ">重新抽取</button>" in page.text and SEEN.findall(page.text) == [made["id"]]
    r = await post(client, url, draw_form(token, made["id"], count="1", seed=...))
    assert r.status_code == 422 and beside(r.text, "reason") == "该计划已抽取过,重新抽取须填写理由"
    assert 'name="count" type="text" value="1"' in r.text
    r = await post(client, url, draw_form(token, made["id"], count="1", seed=..., reason="原定日期与专项检查冲突"))
    assert r.status_code == 303
    _, redraw = await draws(client, scope)
    assert redraw["replaces_draw_id"] == made["id"] and redraw["reason"] == "原定日期与专项检查冲突"
    page = await client.get(url)
    assert page.text.count('data-verified="true">验证通过') == 2 and "重新抽取理由:原定日期与专项检查冲突" in page.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ratio": "0.5"}, "count", "抽取数量和抽取比例请只填写其中一项"),
        ({"count": ...}, "count", "抽取数量和抽取比例请只填写其中一项"),
        ({"count": "4"}, "count", "计划范围内只有3家机构"),
        ({"count": ..., "ratio": "1.5"}, "ratio", "抽取比例不能大于1"),
        ({"team_size": "3"}, "team_size", "可派的执法人员不足"),
        ({"team_size": "1"}, "team_size", "每组人数不能小于2"),
        ({"planned_on": ""}, "planned_on", "请填写计划检查日期"),
        ({"seed": "xyz"}, "seed", "随机种子格式不正确"),
    ],
)
async def test_bad_draw_input_is_beside_its_field_and_nothing_is_drawn(
    client: httpx.AsyncClient,
    make_actor: ActorFactory,
    scope: Scope,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    token = await signed_in(client, make_actor)
    r = await post(client, f"/console/plans/{scope.plan}", draw_form(token, **overrides))
    assert r.status_code == 422, r.text
    assert message in beside(r.text, field)
    assert 'value="2023年养老机构常规检查计划"' not in r.text and "2023年养老机构常规检查计划" in r.text
    assert await draws(client, scope) == []


async def test_a_plan_of_another_region_cannot_be_drawn(
    client: httpx.AsyncClient, make_actor: ActorFactory, scope: Scope
) -> None:
    token = await signed_in(client, make_actor)
    for ident in (scope.other_plan, "not-a-plan"):
        r = await post(client, f"/console/plans/{ident}", draw_form(token))
        assert r.status_code == 404 and "未找到该检查计划" in r.text
    assert await draws(client, scope, scope.other_plan) == []
