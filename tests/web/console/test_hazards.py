"""隐患台账 (/console/hazards) and its downloads, on the crafted data set (both databases): the rows a user of
each region sees, every filter under the API's name (the same rows as GET /api/v1/hazards), paging, bad
input beside its control, the CSV and XLSX ledgers with the same filters."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi import FastAPI

from app.auth.principals import Principal, PrincipalKind
from app.exports.service import HEADINGS
from app.web.console import hazards
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.exports.test_ledger import parse_csv
from tests.reports.conftest import Crafted
from tests.web.console.test_sessions import sign_in

ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})"')
OWN_HAZARDS = {"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h9"}  # h8 is the other county's


def row_ids(html: str) -> list[str]:
    return ROW.findall(html)


def names(crafted: Crafted, ids: list[str]) -> set[str]:
    by_id = {v: k for k, v in crafted.hazards.items()}
    return {by_id[i] for i in ids}


async def signed_in(client: httpx.AsyncClient, make_actor: ActorFactory, role: str, region: str) -> Any:
    client.cookies.clear()
    actor = await make_actor(role, region)
    assert (await sign_in(client, actor.username)).status_code == 303
    return actor


async def test_without_a_session_every_route_goes_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/console/hazards?status=open", "/console/hazards/export.csv", "/console/hazards/export.xlsx"):
        r = await client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/console/login?next=%2Fconsole%2Fhazards")


async def test_the_ledger_lists_the_callers_region_with_chinese_labels(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards")
    assert r.status_code == 200, r.text
    ids = row_ids(r.text)
    assert names(crafted, ids) == OWN_HAZARDS and len(ids) == 8  # every year, voided included
    api = await client.get("/api/v1/hazards", headers=crafted.admin.headers, params={"region_code": OWN_REGION})
    assert ids == [h["id"] for h in api.json()["items"]]  # the API's order: most recently found first
    for text in (
        "已作废",
        "已销号",
        "待整改",
        "整改中",
        "消防安全",
        "食品安全",
        "重大",
        "殡葬机构",
        "养老机构",
        "南宾街道",
    ):
        assert text in r.text, text
    for label, name in (("状态", "status"), ("等级", "severity"), ("类别", "category"), ("机构类型", "kind")):
        assert f'<label for="{name}">{label}</label>' in r.text
    for label, name in (("乡镇/街道", "region_code"), ("发现日期(起)", "found_from"), ("发现日期(止)", "found_to")):
        assert f'<label for="{name}">{label}</label>' in r.text
    assert '<label for="overdue">逾期</label>' in r.text and '<button type="submit">查询</button>' in r.text
    assert "下一页" not in r.text  # 8 rows: one page
    assert 'href="/console/hazards/export.csv"' in r.text and 'href="/console/hazards/export.xlsx"' in r.text

    await signed_in(client, make_actor, "viewer", OTHER_REGION)
    r = await client.get("/console/hazards")
    assert names(crafted, row_ids(r.text)) == {"h8"}
    r = await client.get("/console/hazards", params={"region_code": OWN_REGION})
    assert r.status_code == 403 and row_ids(r.text) == []
    assert 'id="region_code-error"' in r.text and "不在您的管辖范围内" in r.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "voided"}, {"h2"}),
        ({"status": "open"}, {"h3", "h6", "h9"}),
        ({"severity": "major"}, {"h2", "h4"}),
        ({"category": "food"}, {"h4"}),
        ({"kind": "funeral"}, {"h1", "h2", "h3"}),
        ({"found_from": "2023-01-01", "found_to": "2023-12-31"}, {"h1", "h2", "h3", "h4", "h5", "h6"}),
        ({"found_from": "2024-01-01"}, {"h9"}),
        ({"kind": "elderly_care", "severity": "general", "found_to": "2023-06-30"}, {"h5", "h7"}),
        ({"overdue": "true"}, {"h3", "h6"}),
        ({"overdue": "false", "kind": "funeral"}, {"h1", "h2"}),
        ({"region_code": OWN_REGION, "status": "rectified"}, {"h4", "h7"}),
    ],
)
async def test_each_filter_under_the_apis_name(
    client: httpx.AsyncClient,
    crafted: Crafted,
    make_actor: ActorFactory,
    params: dict[str, str],
    expected: set[str],
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards", params=params)
    assert r.status_code == 200, r.text
    ids = row_ids(r.text)
    assert names(crafted, ids) == expected
    api = await client.get(
        "/api/v1/hazards", params={**params, "region_code": OWN_REGION}, headers=crafted.admin.headers
    )
    assert ids == [h["id"] for h in api.json()["items"]]
    for name, value in params.items():  # the controls show what is applied
        assert re.search(rf'<option value="{value}" selected>', r.text) or f'value="{value}"' in r.text, name
    query = r.text.split('href="/console/hazards/export.csv?', 1)[1].split('"', 1)[0]
    assert all(f"{k}={v}" in query for k, v in params.items())  # the downloads carry the same filters


async def test_paging_follows_the_apis_cursor(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hazards, "PAGE_SIZE", 3)
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    seen: list[str] = []
    url: str | None = "/console/hazards?kind=elderly_care"
    pages = 0
    while url is not None:
        r = await client.get(url.replace("&amp;", "&"))
        assert r.status_code == 200, r.text
        seen += row_ids(r.text)
        pages += 1
        found = re.search(r'href="([^"]+)">下一页</a>', r.text)
        url = found.group(1) if found else None
        if url:
            assert "kind=elderly_care" in url  # the filters stay on the next page
        if pages > 1:
            assert "回到第一页" in r.text
    assert pages == 2 and len(seen) == 5 and len(set(seen)) == 5
    assert names(crafted, seen) == {"h4", "h5", "h6", "h7", "h9"}


async def test_bad_input_is_a_message_beside_its_control(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    bad = {
        "status": ("closed", "状态无效"),
        "severity": ("严重", "等级无效"),
        "category": ("fire", "类别无效"),
        "kind": ("hospital", "机构类型无效"),
        "region_code": ("石柱", "1—12 位数字"),
        "found_from": ("2023-5-4", "YYYY-MM-DD"),
        "found_to": ("2023-02-30", "YYYY-MM-DD"),
        "overdue": ("maybe", "“是”或“否”"),
        "institution_id": ("not-a-uuid", "机构编号无效"),
    }
    for name, (value, message) in bad.items():
        for path in ("/console/hazards", "/console/hazards/export.csv", "/console/hazards/export.xlsx"):
            r = await client.get(path, params={name: value})
            assert r.status_code == 422, (path, name)
            assert r.headers["content-type"].startswith("text/html")
            assert f'id="{name}-error"' in r.text and message in r.text, (path, name)
            assert f'aria-describedby="{name}-error"' in r.text
            assert row_ids(r.text) == []
            assert f"您填写的是“{value}”" in r.text  # what was typed, even where the control cannot show it
            assert "导出CSV" not in r.text  # no download of a ledger that was not shown
    r = await client.get("/console/hazards", params={"status": "closed", "severity": "x", "kind": "funeral"})
    assert r.status_code == 422 and 'id="status-error"' in r.text and 'id="severity-error"' in r.text
    assert 'id="kind-error"' not in r.text
    for cursor in ("garbage", "a" * 3000, "eyJ4IjoxfQ.forged"):
        r = await client.get("/console/hazards", params={"cursor": cursor})
        assert r.status_code == 422 and 'id="cursor-error"' in r.text and "翻页参数无效" in r.text
    api_cursor = (await client.get("/api/v1/hazards", params={"limit": 1}, headers=crafted.admin.headers)).json()
    r = await client.get("/console/hazards", params={"cursor": api_cursor["next_cursor"]})
    assert r.status_code == 422  # a cursor issued for another list


async def test_empty_states_say_what_to_do(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", "500102")  # 涪陵区: nothing recorded
    r = await client.get("/console/hazards")
    assert r.status_code == 200 and row_ids(r.text) == []
    assert "还没有登记隐患" in r.text and "添加隐患" in r.text
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards", params={"found_from": "2030-01-01"})
    assert r.status_code == 200 and row_ids(r.text) == []
    assert "没有符合条件的隐患" in r.text and "清除查询条件" in r.text


async def test_the_csv_download_is_the_ledger_with_the_same_filters(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards/export.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"] and "filename*=UTF-8''" in r.headers["content-disposition"]
    rows = parse_csv(r.content)
    assert list(rows[0]) == list(HEADINGS) and len(rows) == 8
    assert "EB" not in {row["机构名称"] for row in rows}
    params = {"kind": "funeral", "found_from": "2023-01-01", "found_to": "2023-12-31"}
    r = await client.get("/console/hazards/export.csv", params=params)
    rows = parse_csv(r.content)
    assert [(row["机构名称"], row["隐患等级"], row["整改状态"]) for row in rows] == [
        ("F1", "一般", "已销号"),
        ("F1", "重大", "已作废"),
        ("F2", "一般", "待整改"),
    ]
    api = await client.get("/api/v1/exports/hazards.csv", params=params, headers=crafted.admin.headers)
    assert parse_csv(api.content) == rows  # the API's own ledger for these filters
    r = await client.get("/console/hazards/export.csv", params={"region_code": OTHER_REGION})
    assert r.status_code == 403 and "不在您的管辖范围内" in r.text

    await signed_in(client, make_actor, "viewer", OTHER_REGION)
    rows = parse_csv((await client.get("/console/hazards/export.csv")).content)
    assert [row["机构名称"] for row in rows] == ["EB"]


async def test_the_xlsx_download_is_the_ledger_with_the_same_filters(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards/export.xlsx", params={"severity": "major"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == hazards.XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None and sheet.title == "隐患台账"
    rows = list(sheet.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("隐患台账") and "500240" in str(rows[0][0])
    assert list(rows[1]) == list(HEADINGS)
    data = [row for row in rows[2:] if row[0] is not None]
    assert sorted((row[1], row[7], row[10]) for row in data) == [("E1", "重大", "已整改"), ("F1", "重大", "已作废")]


async def test_too_many_downloads_at_once_is_a_chinese_429(
    client: httpx.AsyncClient, app: FastAPI, crafted: Crafted, make_actor: ActorFactory
) -> None:
    actor = await signed_in(client, make_actor, "viewer", OWN_REGION)
    principal = Principal(PrincipalKind.user, actor.user_id, actor.username, actor.role, actor.region_code)
    gate = app.state.export_gate
    releases = [gate.claim(principal) for _ in range(gate.per_credential)]
    try:
        r = await client.get("/console/hazards/export.csv")
        assert r.status_code == 429 and "您已有导出正在进行" in r.text
    finally:
        for release in releases:
            release()
    assert (await client.get("/console/hazards/export.csv")).status_code == 200


async def test_township_is_chosen_from_the_register_or_typed_as_a_code(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for code, name, parent in (("500240", "石柱土家族自治县", None), ("500240001", "南宾街道", "500240")):
        body = {"name": name, **({"parent_code": parent} if parent else {})}
        r = await client.put(f"/api/v1/regions/{code}", json=body, headers=crafted.admin.headers)
        assert r.status_code in (200, 201), r.text
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get("/console/hazards", params={"region_code": "500240001"})
    assert r.status_code == 200 and row_ids(r.text) == []  # the crafted institutions are coded at the county
    assert '<select id="region_code" name="region_code">' in r.text
    assert '<option value="500240001" selected>南宾街道</option>' in r.text
    assert '<option value="500240">石柱土家族自治县</option>' in r.text
    r = await client.get("/console/hazards", params={"region_code": "5002409"})  # not in the register
    assert '<option value="5002409" selected>5002409</option>' in r.text

    monkeypatch.setattr(hazards, "REGION_OPTIONS_MAX", 1)  # a scope with more regions than a list can hold
    r = await client.get("/console/hazards", params={"region_code": OWN_REGION})
    assert r.status_code == 200 and len(row_ids(r.text)) == 8
    assert '<select id="region_code"' not in r.text
    assert re.search(r'<input id="region_code" name="region_code" value="500240"', r.text)
