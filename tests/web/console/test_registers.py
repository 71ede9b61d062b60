"""检查记录, 机构 and 执法人员 pages (server side, both databases): sign-in redirect, the records of the caller's
region with the UI.md hooks, filters with the API's names, paging, region scope (lists empty, details 404),
bad query input as a message beside the control."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest

from app.auth.models import Role
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_sessions import sign_in

ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})"')


@dataclass(frozen=True)
class County:
    institution: dict[str, str]
    funeral: dict[str, str]
    officers: list[dict[str, str]]
    inspection: dict[str, object]


@pytest.fixture
async def county(client: httpx.AsyncClient, make_actor: ActorFactory) -> County:
    """In 500240: a 敬老院 inspected on 2023-05-04 by two officers (two hazards), a 殡仪馆 never inspected."""
    admin = await make_actor(Role.admin, "")
    h = admin.headers
    home = await factories.institution(client, h, name="南宾敬老院", township="南宾街道", beds=80)
    funeral = await factories.institution(client, h, name="石柱殡仪馆", kind="funeral", township="西沱镇")
    officers = [
        await factories.officer(client, h, name="谭明", unit="社会福利中心"),
        await factories.officer(client, h, name="冉静", unit="殡葬事务中心", certificate_expires_on="2024-06-30"),
    ]
    r = await client.post(
        "/api/v1/inspections",
        json=factories.inspection_body(home["id"], [o["id"] for o in officers]),
        headers=h,
    )
    assert r.status_code == 201, r.text
    inspection = r.json()
    oid = officers[0]["id"]
    r = await client.post(
        f"/api/v1/officers/{oid}/trainings",
        json={"held_on": "2023-03-01", "hours": 4, "topic": "行政处罚法专题"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/officers/{oid}/conflicts", json={"institution_id": funeral["id"], "reason": "近亲属任馆长"}, headers=h
    )
    assert r.status_code == 201, r.text
    return County(home, funeral, officers, inspection)


async def _viewer(client: httpx.AsyncClient, make_actor: ActorFactory, region: str = OWN_REGION) -> None:
    client.cookies.clear()
    user = await make_actor(Role.viewer, region)
    assert (await sign_in(client, user.username)).status_code == 303


PAGES = [
    "/console/inspections",
    "/console/inspections/0d9c4b7e-2a61-4f3e-8b5d-7c1e9a2f4d60",
    "/console/institutions?kind=funeral",
    "/console/institutions/6e2f8a1c-4b3d-4c9e-a7f0-2b5d8e1c3a94",
    "/console/officers",
    "/console/officers/9a4c1e7b-3d5f-4a2c-8e6b-0f7d2c9a5b18",
]


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_every_page_goes_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login?next=%2Fconsole%2F")


async def test_the_inspection_list_and_record(
    client: httpx.AsyncClient, make_actor: ActorFactory, county: County
) -> None:
    await _viewer(client, make_actor)
    r = await client.get("/console/inspections")
    assert r.status_code == 200, r.text
    assert ROW.findall(r.text) == [county.inspection["id"]]
    assert "2023-05-04" in r.text and "南宾敬老院" in r.text and "养老机构" in r.text and "常规检查" in r.text
    assert '<label for="f-kind">机构类型</label>' in r.text and '<label for="f-from">检查日期(起)</label>' in r.text
    assert 'aria-current="page">检查记录' in r.text and "下一页" not in r.text

    # The API's filters, by the API's names.
    assert ROW.findall((await client.get("/console/inspections?kind=funeral")).text) == []
    assert ROW.findall((await client.get("/console/inspections?from=2023-05-05")).text) == []
    assert len(ROW.findall((await client.get("/console/inspections?to=2023-05-04&type=routine")).text)) == 1
    r = await client.get(f"/console/inspections?officer_id={county.officers[1]['id']}&region_code=500240")
    assert len(ROW.findall(r.text)) == 1 and "仅显示所选执法人员参加的检查" in r.text
    empty = await client.get("/console/inspections?kind=funeral")
    assert "没有符合条件的检查记录" in empty.text and 'value="funeral" selected' in empty.text

    r = await client.get(f"/console/inspections/{county.inspection['id']}")
    assert r.status_code == 200
    for text in ("谭明", "冉静", "社会福利中心", "消防通道堆放杂物", "食品留样记录缺失", "消防安全", "重大", "待整改"):
        assert text in r.text, text
    hazards = county.inspection["hazards"]
    assert isinstance(hazards, list) and len(hazards) == 2
    for hazard in hazards:
        assert f'<tr data-id="{hazard["id"]}">' in r.text
        assert f'href="/console/hazards/{hazard["id"]}"' in r.text
    assert f'href="/console/institutions/{county.institution["id"]}"' in r.text


async def test_paging_with_next_page(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    admin = await make_actor(Role.admin, "")
    names = [f"敬老院{i:02d}" for i in range(51)]
    for name in names:
        await factories.institution(client, admin.headers, name=name)
    await _viewer(client, make_actor)
    r = await client.get("/console/institutions?kind=elderly_care")
    assert r.status_code == 200
    first = ROW.findall(r.text)
    assert len(first) == 50
    link = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', r.text)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/console/institutions?kind=elderly_care&cursor=")
    r = await client.get(href)
    assert r.status_code == 200
    second = ROW.findall(r.text)
    assert len(second) == 1 and second[0] not in first and "敬老院50" in r.text and "下一页" not in r.text
    # A cursor of another list (the API's) or a made-up one is refused beside 下一页.
    api = await client.get("/api/v1/institutions", params={"limit": 1}, headers=admin.headers)
    for bad in (api.json()["next_cursor"], "abc", "x" * 3000):
        r = await client.get("/console/institutions", params={"cursor": bad})
        assert r.status_code == 422 and 'id="cursor-error"' in r.text and "翻页链接已失效" in r.text
        assert ROW.findall(r.text) == []


async def test_the_institution_register(client: httpx.AsyncClient, make_actor: ActorFactory, county: County) -> None:
    await _viewer(client, make_actor)
    r = await client.get("/console/institutions")
    assert r.status_code == 200
    assert set(ROW.findall(r.text)) == {county.institution["id"], county.funeral["id"]}
    r = await client.get("/console/institutions?kind=funeral&status=active&township=西沱镇&q=殡仪")
    assert ROW.findall(r.text) == [county.funeral["id"]] and "殡葬机构" in r.text and "正常运营" in r.text
    r = await client.get("/console/institutions?status=closed")
    assert ROW.findall(r.text) == [] and "没有符合条件的机构" in r.text

    r = await client.get(f"/console/institutions/{county.institution['id']}")
    assert r.status_code == 200
    assert "南宾敬老院" in r.text and "南宾街道" in r.text and "80" in r.text and "养老机构" in r.text
    assert f'<tr data-id="{county.inspection["id"]}">' in r.text  # its inspection
    r = await client.get(f"/console/institutions/{county.funeral['id']}")
    assert "尚无检查记录" in r.text


async def test_the_officer_register(client: httpx.AsyncClient, make_actor: ActorFactory, county: County) -> None:
    await _viewer(client, make_actor)
    tan, ran = county.officers
    r = await client.get("/console/officers")
    assert r.status_code == 200
    assert set(ROW.findall(r.text)) == {tan["id"], ran["id"]}
    assert "2030-12-31" in r.text and "2024-06-30" in r.text and "有效" in r.text
    r = await client.get("/console/officers?certified_on=2025-01-01")
    assert ROW.findall(r.text) == [tan["id"]]  # 冉静's certificate expired on 2024-06-30
    r = await client.get("/console/officers?unit=殡葬事务中心&q=冉")
    assert ROW.findall(r.text) == [ran["id"]]

    r = await client.get(f"/console/officers/{tan['id']}")
    assert r.status_code == 200
    assert tan["certificate_no"] in r.text and "2020-01-01" in r.text and 'data-certified="true"' in r.text
    assert "行政处罚法专题" in r.text and "2023-03-01" in r.text  # the training
    assert "石柱殡仪馆" in r.text and "近亲属任馆长" in r.text  # the conflict (回避)
    assert f'<tr data-id="{county.inspection["id"]}">' in r.text
    r = await client.get(f"/console/officers/{ran['id']}")
    assert 'data-certified="false"' in r.text and "尚无培训记录" in r.text and "未申报回避" in r.text


async def test_another_county_sees_nothing_of_500240(
    client: httpx.AsyncClient, make_actor: ActorFactory, county: County
) -> None:
    await _viewer(client, make_actor, OTHER_REGION)
    for path in ("/console/inspections", "/console/institutions", "/console/officers"):
        r = await client.get(path)
        assert r.status_code == 200 and ROW.findall(r.text) == [], path
        assert "南宾敬老院" not in r.text and "谭明" not in r.text
    details = [
        f"/console/inspections/{county.inspection['id']}",
        f"/console/institutions/{county.institution['id']}",
        f"/console/officers/{county.officers[0]['id']}",
    ]
    for path in details:
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "不在您的管辖区域内" in r.text and "南宾敬老院" not in r.text and "谭明" not in r.text
    # A region filter naming 500240 is refused beside its control.
    for path in ("/console/inspections", "/console/institutions", "/console/officers"):
        r = await client.get(path, params={"region_code": OWN_REGION})
        assert r.status_code == 403 and 'id="region_code-error"' in r.text and "不在您的管辖范围内" in r.text
        assert ROW.findall(r.text) == []


@pytest.mark.parametrize("kind", ["inspections", "institutions", "officers"])
async def test_unknown_or_malformed_ids_are_a_chinese_404(
    client: httpx.AsyncClient, make_actor: ActorFactory, kind: str
) -> None:
    await _viewer(client, make_actor)
    for ident in (str(uuid.uuid4()), "not-a-uuid", "1"):
        r = await client.get(f"/console/{kind}/{ident}")
        assert r.status_code == 404 and "未找到该" in r.text and f'href="/console/{kind}"' in r.text


BAD_INPUT = [
    ("/console/inspections", "kind", "school", "请从列表中选择"),
    ("/console/inspections", "type", "常规", "请从列表中选择"),
    ("/console/inspections", "region_code", "50a", "行政区划代码应为"),
    ("/console/inspections", "from", "2023-02-30", "检查日期(起)应为日期"),
    ("/console/inspections", "to", "20230504", "检查日期(止)应为日期"),
    ("/console/inspections", "institution_id", "zzz", "机构无效"),
    ("/console/inspections", "officer_id", "123", "执法人员无效"),
    ("/console/institutions", "status", "open", "请从列表中选择"),
    ("/console/institutions", "region_code", "5002401234567", "行政区划代码应为"),
    ("/console/institutions", "q", "名" * 201, "机构名称最多200个字"),
    ("/console/institutions", "township", "镇" * 101, "乡镇/街道最多100个字"),
    ("/console/officers", "certified_on", "2023-13-01", "持证日期应为日期"),
    ("/console/officers", "certified_on", "２０２３-01-01", "持证日期应为日期"),
    ("/console/officers", "unit", "单" * 101, "所在单位最多100个字"),
]


@pytest.mark.parametrize(("path", "name", "value", "message"), BAD_INPUT)
async def test_bad_query_input_is_a_message_beside_the_control(
    client: httpx.AsyncClient, make_actor: ActorFactory, path: str, name: str, value: str, message: str
) -> None:
    await _viewer(client, make_actor)
    r = await client.get(path, params={name: value})
    assert r.status_code == 422, r.text
    assert f'id="{name}-error"' in r.text and message in r.text
    assert f'aria-describedby="{name}-error"' in r.text
    assert ROW.findall(r.text) == []
