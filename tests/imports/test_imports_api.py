"""POST /imports/{institutions|officers}: who may import, the preview, all rows or none, re-import, limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth.models import Role
from app.db.session import Database
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import stored_regions
from tests.imports.helpers import (
    CREDIT,
    INSTITUTION_HEADINGS,
    OFFICER_HEADINGS,
    URL,
    csv_bytes,
    institution,
    officer,
    post,
    xlsx,
)
from tests.problems import problem_of

GOOD = xlsx(
    INSTITUTION_HEADINGS,
    [institution("南宾街道敬老院", CREDIT[0]), institution("西沱镇敬老院", CREDIT[1]), institution("公墓", None)],
)


async def _names(client: httpx.AsyncClient, actor: Actor, kind: str = "institutions") -> list[str]:
    r = await client.get(f"/api/v1/{kind}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return sorted(i["name"] for i in r.json()["items"])


@pytest.fixture
async def supervisor(make_actor: ActorFactory) -> Actor:
    return await make_actor(Role.supervisor, OWN_REGION)


async def test_sign_in_and_role_needed(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    assert (await post(client, {}, "institutions", GOOD)).status_code == 401
    for role in (Role.inspector, Role.viewer):
        actor = await make_actor(role, OWN_REGION)
        problem_of(await post(client, actor.headers, "institutions", GOOD, dry_run=True), 403)
    assert (await client.get(f"{URL}/officers/template")).status_code == 401


async def test_dry_run_previews_and_stores_nothing(client: httpx.AsyncClient, supervisor: Actor) -> None:
    r = await post(client, supervisor.headers, "institutions", GOOD, dry_run=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["dry_run"], body["stored"], body["total"], body["created"], body["errors"]) == (True, False, 3, 3, [])
    assert [(row["row"], row["action"]) for row in body["rows"]] == [(2, "create"), (3, "create"), (4, "create")]
    assert await _names(client, supervisor) == []


async def test_import_then_the_same_file_again_changes_nothing(client: httpx.AsyncClient, supervisor: Actor) -> None:
    r = await post(client, supervisor.headers, "institutions", GOOD)
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["created"]) == (True, 3)
    stored = (await client.get("/api/v1/institutions", headers=supervisor.headers)).json()["items"]
    first = next(i for i in stored if i["credit_code"] == CREDIT[0])
    assert (first["kind"], first["operator_type"], first["beds"], first["status"]) == (
        "elderly_care",
        "public",
        120,
        "active",
    )
    again = await post(client, supervisor.headers, "institutions", GOOD)
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
    assert (await client.get("/api/v1/institutions", headers=supervisor.headers)).json()["items"] == stored
    # A corrected file updates the rows that differ; an empty cell keeps the stored value.
    fixed = xlsx(INSTITUTION_HEADINGS, [institution("南宾街道敬老院", CREDIT[0], 床位数=150, 联系人=None)])
    r = await post(client, supervisor.headers, "institutions", fixed)
    assert (r.json()["updated"], r.json()["rows"][0]["action"]) == (1, "update")
    record = (await client.get(f"/api/v1/institutions/{first['id']}", headers=supervisor.headers)).json()
    assert (record["beds"], record["contact_person"]) == (150, "谭明")


async def test_one_bad_row_and_nothing_is_stored(client: httpx.AsyncClient, supervisor: Actor) -> None:
    rows = [
        institution("南宾街道敬老院", CREDIT[0]),
        institution("西沱镇敬老院", "91500240MA5U000019", 经营性质="私营"),  # wrong check character, no such choice
        institution("", CREDIT[2], 床位数="很多"),
    ]
    data = xlsx(INSTITUTION_HEADINGS, rows)
    preview = (await post(client, supervisor.headers, "institutions", data, dry_run=True)).json()
    found = {(e["row"], e["column"], e["field"]): e["message"] for e in preview["errors"]}
    assert found[(3, "统一社会信用代码", "credit_code")] == "统一社会信用代码校验位不符,请核对后重新填写"
    assert found[(3, "经营性质", "operator_type")] == "经营性质请填写公办 / 民办之一"
    assert found[(4, "机构名称", "name")] == "请填写机构名称"
    assert found[(4, "床位数", "beds")] == "床位数请填写整数"
    assert [r["action"] for r in preview["rows"]] == ["create", "invalid", "invalid"]
    r = await post(client, supervisor.headers, "institutions", data)
    problem = problem_of(r, 422)
    assert problem["result"]["errors"] == preview["errors"]
    assert ["file", 3, "credit_code"] in [e["loc"] for e in problem["errors"]]
    assert await _names(client, supervisor) == []


async def test_rows_outside_the_region_and_keys_held_elsewhere(
    client: httpx.AsyncClient, supervisor: Actor, make_actor: ActorFactory
) -> None:
    other = await make_actor(Role.supervisor, OTHER_REGION)
    assert (
        await post(
            client,
            other.headers,
            "institutions",
            xlsx(INSTITUTION_HEADINGS, [institution("万州敬老院", CREDIT[2], 行政区划代码=OTHER_REGION)]),
        )
    ).status_code == 200
    rows = [
        institution("南宾街道敬老院", CREDIT[0], 行政区划代码=OTHER_REGION),
        institution("借用代码", CREDIT[2]),
        institution("重复", CREDIT[1]),
        institution("重复二", CREDIT[1]),
    ]
    body = (
        await post(client, supervisor.headers, "institutions", xlsx(INSTITUTION_HEADINGS, rows), dry_run=True)
    ).json()
    found = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert found == {
        (2, "行政区划代码"): f"该行政区划({OTHER_REGION})不在您的管辖范围内",
        (3, "统一社会信用代码"): "统一社会信用代码已被管辖范围以外的记录使用",
        (5, "统一社会信用代码"): "统一社会信用代码与第4行重复",
    }


async def test_headings_are_checked_first(client: httpx.AsyncClient, supervisor: Actor) -> None:
    headings = [h for h in INSTITUTION_HEADINGS if h != "机构类型"] + ["备注"]
    data = csv_bytes(headings, [["x"] * len(headings)])
    body = (await post(client, supervisor.headers, "institutions", data, dry_run=True)).json()
    assert {(e["row"], e["column"], e["message"]) for e in body["errors"]} == {
        (1, "备注", "无法识别的列“备注”,请使用模板中的表头"),
        (1, "机构类型", "缺少必填列“机构类型”"),
    }


async def test_officers_from_gb18030_csv_with_text_dates(client: httpx.AsyncClient, supervisor: Actor) -> None:
    rows = [
        officer("谭明", "渝执法500240001", 发证日期="2023年5月4日", 证件状态="暂扣"),
        officer("马兰", "渝执法500240002", 发证日期="2023/5/4", 有效期至="2022-01-01"),
    ]
    data = csv_bytes(OFFICER_HEADINGS, rows, "gb18030")
    body = (await post(client, supervisor.headers, "officers", data, filename="名单.csv", dry_run=True)).json()
    assert [(e["row"], e["column"], e["message"]) for e in body["errors"]] == [
        (3, "有效期至", "有效期至不能早于发证日期")
    ]
    good = csv_bytes(OFFICER_HEADINGS, rows[:1], "gb18030")
    r = await post(client, supervisor.headers, "officers", good, filename="名单.csv")
    assert r.json()["created"] == 1, r.text
    stored = (await client.get("/api/v1/officers", headers=supervisor.headers)).json()["items"][0]
    assert (stored["certificate_issued_on"], stored["certificate_expires_on"]) == ("2023-05-04", "2028-05-03")
    assert stored["certificate_status"] == "suspended"
    again = await post(client, supervisor.headers, "officers", good, filename="名单.csv")
    assert again.json()["unchanged"] == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"PK\x03\x04broken", 422), (b"\xd0\xcf\x11\xe0" + b"\0" * 64, 422), ("机构名称\n".encode(), 422)],
)
async def test_bad_files(client: httpx.AsyncClient, supervisor: Actor, data: bytes, status: int) -> None:
    problem = problem_of(await post(client, supervisor.headers, "institutions", data), status)
    assert problem["errors"][0]["loc"] == ["file"]


async def test_no_file_and_not_multipart(client: httpx.AsyncClient, supervisor: Actor) -> None:
    r = await client.post(
        f"{URL}/institutions", data={"x": "1"}, files={"other": ("a", b"b")}, headers=supervisor.headers
    )
    problem_of(r, 422)
    problem_of(await client.post(f"{URL}/institutions", content=b"a,b", headers=supervisor.headers), 415)
    problem_of(await post(client, supervisor.headers, "elsewhere", GOOD), 422)


async def test_limits(app: FastAPI, client: httpx.AsyncClient, supervisor: Actor, monkeypatch: Any) -> None:
    settings = app.state.settings
    monkeypatch.setattr(settings, "IMPORT_MAX_ROWS", 2)
    problem = problem_of(await post(client, supervisor.headers, "institutions", GOOD), 422)
    assert "more than 2 rows" in problem["detail"]
    monkeypatch.setattr(settings, "IMPORT_MAX_BYTES", 1000)
    problem_of(await post(client, supervisor.headers, "institutions", GOOD), 413)
    assert await _names(client, supervisor) == []


@pytest.mark.parametrize(("fmt", "media"), [("xlsx", "spreadsheetml"), ("csv", "text/csv")])
async def test_template(client: httpx.AsyncClient, make_actor: ActorFactory, fmt: str, media: str) -> None:
    viewer = await make_actor(Role.viewer, OWN_REGION)
    r = await client.get(f"{URL}/officers/template", params={"format": fmt}, headers=viewer.headers)
    assert r.status_code == 200 and media in r.headers["content-type"]
    assert "attachment" in r.headers["content-disposition"]
    problem_of(await client.get(f"{URL}/officers/template", params={"format": "xls"}, headers=viewer.headers), 422)


async def test_an_update_keeps_the_dates_in_order_with_the_stored_ones(
    client: httpx.AsyncClient, supervisor: Actor
) -> None:
    first = xlsx(OFFICER_HEADINGS, [officer("谭明", "渝执法9", 发证日期=datetime(2023, 5, 4), 有效期至=None)])
    assert (await post(client, supervisor.headers, "officers", first)).json()["created"] == 1
    later = xlsx(OFFICER_HEADINGS, [officer("谭明", "渝执法9", 发证日期=None, 有效期至="2020年1月1日")])
    body = (await post(client, supervisor.headers, "officers", later, dry_run=True)).json()
    assert [(e["row"], e["column"], e["message"]) for e in body["errors"]] == [
        (2, "有效期至", "有效期至不能早于发证日期(2023-05-04)")
    ]


async def test_an_update_of_the_region_takes_the_institutions_hazards_along(
    client: httpx.AsyncClient, supervisor: Actor, admin: Actor, db: Database
) -> None:
    assert (await post(client, supervisor.headers, "institutions", GOOD)).json()["created"] == 3
    stored = (await client.get("/api/v1/institutions", headers=supervisor.headers)).json()["items"]
    first = next(i for i in stored if i["credit_code"] == CREDIT[0])
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    body = factories.inspection_body(first["id"], officers)
    r = await client.post("/api/v1/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    hazard_ids = [h["id"] for h in r.json()["hazards"]]
    township = OWN_REGION + "101"
    moved = xlsx(INSTITUTION_HEADINGS, [institution("南宾街道敬老院", CREDIT[0], 行政区划代码=township)])
    assert (await post(client, supervisor.headers, "institutions", moved)).json()["updated"] == 1
    assert await stored_regions(db) == dict.fromkeys(hazard_ids, township)
    listed = await client.get("/api/v1/hazards", params={"region_code": township}, headers=supervisor.headers)
    assert sorted(i["id"] for i in listed.json()["items"]) == sorted(hazard_ids)
