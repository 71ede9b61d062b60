"""总览's filters and lists (/console/): period, region, township, kind; bad input beside its control (422), a
region outside the caller's (403); charts' data, overdue hazards, expiring certificates (both databases)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest

from app.core import clock
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_overview import figure
from tests.web.console.test_sessions import sign_in


async def _seed(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    """An elderly-care home in 南宾街道 inspected on 2023-05-04 (one overdue hazard, one major), a funeral home
    in 中益乡 inspected on 2023-09-01, and an officer whose certificate expires in 30 days."""
    home = await factories.institution(client, headers)
    parlour = await factories.institution(client, headers, name="殡仪馆", kind="funeral", township="中益乡")
    officers = [(await factories.officer(client, headers))["id"] for _ in range(2)]
    for institution, day in ((home, "2023-05-04"), (parlour, "2023-09-01")):
        body = factories.inspection_body(institution["id"], officers, inspected_on=day)
        for hazard in body["hazards"]:
            hazard.pop("due_on", None)
        body["hazards"][0]["due_on"] = "2023-12-20"
        r = await client.post("/api/v1/inspections", json=body, headers=headers)
        assert r.status_code == 201, r.text
    expiring = await factories.officer(
        client, headers, name="冉静", certificate_expires_on=(clock.today() + timedelta(days=30)).isoformat()
    )
    return {"expiring": expiring["id"]}


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, make_actor: ActorFactory) -> dict[str, str]:
    admin = await make_actor("admin", "")
    seeded = await _seed(client, admin.headers)
    viewer = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, viewer.username)).status_code == 303
    return seeded


async def test_period_kind_and_township_narrow_the_figures(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    r = await client.get("/console/?year=2023")
    assert figure(r.text, "hazards_found", "elderly_care") == "2"
    assert figure(r.text, "hazards_found", "funeral") == "2"
    # A period: only May.
    r = await client.get("/console/", params={"from": "2023-05-01", "to": "2023-05-31"})
    assert r.status_code == 200
    assert figure(r.text, "inspections", "elderly_care") == "1" and figure(r.text, "inspections", "funeral") == "0"
    assert "2023-05-01 至 2023-05-31" in r.text
    # A kind: only its row.
    r = await client.get("/console/", params={"year": "2023", "kind": "funeral"})
    assert figure(r.text, "inspections", "funeral") == "1"
    assert 'data-kind="elderly_care"' not in r.text
    assert '<option value="funeral" selected>殡葬机构</option>' in r.text
    # A township: its figures; the township chart still lists every township to choose from.
    r = await client.get("/console/", params={"year": "2023", "township": "中益乡"})
    assert r.status_code == 200
    assert figure(r.text, "inspections", "funeral") == "1" and figure(r.text, "inspections", "elderly_care") == "0"
    assert '<option value="中益乡" selected>中益乡</option>' in r.text and '<option value="南宾街道">' in r.text


async def test_charts_data_and_breakdown_cells(client: httpx.AsyncClient, signed_in: dict[str, str]) -> None:
    r = await client.get("/console/?year=2023")
    block = re.search(r'<script type="application/json" id="overview-charts">(.*?)</script>', r.text, re.S)
    assert block is not None
    charts = json.loads(block.group(1))
    assert charts["month"]["labels"] == ["2023-05", "2023-09"]
    assert charts["month"]["rate"] == [0.0, 0.0]
    assert charts["township"] == {"labels": ["中益乡", "南宾街道"], "found": [2, 2], "rectified": [0, 0]}
    assert dict(zip(charts["severity"]["labels"], charts["severity"]["found"], strict=True)) == {"一般": 2, "重大": 2}
    assert dict(zip(charts["category"]["labels"], charts["category"]["found"], strict=True)) == {
        "消防安全": 2,
        "食品安全": 2,
    }
    assert '<td data-metric="hazards_found" data-group="南宾街道">2</td>' in r.text
    assert '<td data-metric="rectification_rate" data-group="重大">0%</td>' in r.text
    assert '<div class="chart" id="chart-month" data-chart="month"' in r.text
    assert '<script src="/console/static/vendor/echarts-6.1.0/echarts.common.min.js"></script>' in r.text
    assert (await client.get("/console/static/vendor/echarts-6.1.0/echarts.common.min.js")).status_code == 200
    assert (await client.get("/console/static/overview.js")).status_code == 200
    assert "<script>" not in r.text  # no inline script (CSP script-src 'self')


async def test_overdue_hazards_and_expiring_certificates(client: httpx.AsyncClient, signed_in: dict[str, str]) -> None:
    r = await client.get("/console/?year=2023")
    overdue = re.findall(r'<tr data-id="([0-9a-f-]{36})"><td>2023-', r.text)
    assert len(overdue) == 2  # one per inspection: the hazard due 2023-12-20 (the other has no due date)
    for hazard_id in overdue:
        assert f'href="/console/hazards/{hazard_id}"' in r.text
    assert f'<tr data-id="{signed_in["expiring"]}">' in r.text and "冉静" in r.text
    assert "年还没有检查计划" in r.text  # the empty state says what to do
    r = await client.get("/console/", params={"year": "2023", "kind": "elderly_care"})
    assert len(re.findall(r'<tr data-id="[0-9a-f-]{36}"><td>2023-', r.text)) == 1


@pytest.mark.parametrize(
    ("params", "control", "message"),
    [
        ({"from": "2023-13-01"}, "from", "起始日期应为"),
        ({"from": "20230501"}, "from", "起始日期应为"),
        ({"to": "２０２３-05-01"}, "to", "截止日期应为"),
        ({"from": "2023-06-01", "to": "2023-05-01"}, "to", "不能早于起始日期"),
        ({"kind": "school"}, "kind", "请选择机构类型"),
        ({"region_code": "50a"}, "region_code", "行政区划代码应为"),
        ({"region_code": "5002400000001"}, "region_code", "行政区划代码应为"),
        ({"year": "2023", "township": "不存在镇"}, "township", "没有名为"),
        ({"township": "乡" * 101}, "township", "不能超过"),
    ],
)
async def test_bad_filters_are_a_message_beside_the_control(
    client: httpx.AsyncClient, signed_in: dict[str, str], params: dict[str, str], control: str, message: str
) -> None:
    r = await client.get("/console/", params=params)
    assert r.status_code == 422, r.text
    match = re.search(rf'<span id="{control}-error" class="error" role="alert">([^<]*)</span>', r.text)
    assert match is not None and message in match.group(1)
    assert f'aria-describedby="{control}-error"' in r.text
    assert "data-metric" not in r.text


async def test_a_region_outside_the_callers_is_refused_beside_the_control(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    r = await client.get("/console/", params={"year": "2023", "region_code": OTHER_REGION})
    assert r.status_code == 403
    assert 'id="region_code-error"' in r.text and "不在您的辖区" in r.text
    assert "data-metric" not in r.text
    r = await client.get("/console/", params={"year": "2023", "region_code": OWN_REGION})
    assert r.status_code == 200 and figure(r.text, "hazards_found", "funeral") == "2"
