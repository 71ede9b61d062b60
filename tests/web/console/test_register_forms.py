"""Create and edit of 机构 and 执法人员 through the console, and the officer page's 证件变更 / 培训 / 回避 forms
(server side, both databases): sign-in, roles, region scope, messages beside the field, rows stored, a stale
edit, a credit code or certificate number already registered."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from app.institutions.schemas import credit_code_check_char
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_sessions import ORIGIN, login_form, page_token, sign_in

REVISION = re.compile(r'name="revision" value="([0-9a-f]{32})"')
STALE = "该记录已被他人更新,请刷新后重试"


def credit_code(serial: str) -> str:
    first17 = f"91{OWN_REGION}{serial:0>9}"
    return first17 + credit_code_check_char(first17)


def error(html: str, field: str) -> str:
    """The message shown right after the field's control (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>', html)
    return found.group(1) if found else ""


async def as_user(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role, region: str = OWN_REGION) -> str:
    """Sign in a fresh user of `role` and return the CSRF token of its pages."""
    client.cookies.clear()
    user = await make_actor(role, region)
    assert (await sign_in(client, user.username)).status_code == 303
    return await page_token(client)


async def post(client: httpx.AsyncClient, path: str, token: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={"csrf_token": token, **fields}, headers={"Origin": ORIGIN})


def institution_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "南宾街道敬老院",
        "kind": "elderly_care",
        "category": "敬老院",
        "region_code": OWN_REGION,
        "township": "南宾街道",
        "credit_code": credit_code("1"),
        "address": "石柱县南宾街道城南路1号",
        "contact_person": "马红",
        "contact_phone": "023-73331234",
        "beds": "120",
        "operator_type": "public",
        "status": "active",
        **overrides,
    }


def officer_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "秦岚",
        "unit": "社会福利中心",
        "region_code": OWN_REGION,
        "certificate_no": "渝执法500240099",
        "certificate_issued_on": "2021-03-01",
        "certificate_expires_on": "2027-02-28",
        "certificate_status": "valid",
        **overrides,
    }


async def api_list(client: httpx.AsyncClient, headers: dict[str, str], what: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/{what}", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.fixture
async def records(client: httpx.AsyncClient, make_actor: ActorFactory) -> dict[str, Any]:
    admin = await make_actor(Role.admin, "")
    home = await factories.institution(client, admin.headers, name="西沱敬老院", credit_code=credit_code("7"))
    officer = await factories.officer(client, admin.headers, name="谭明", certificate_no="渝执法500240001")
    return {"headers": admin.headers, "institution": home, "officer": officer}


def form_paths(records: dict[str, Any]) -> list[str]:
    i, o = records["institution"]["id"], records["officer"]["id"]
    return [
        "/console/institutions/new",
        f"/console/institutions/{i}/edit",
        "/console/officers/new",
        f"/console/officers/{o}/edit",
    ]


async def test_without_a_session_forms_go_to_sign_in(client: httpx.AsyncClient, records: dict[str, Any]) -> None:
    o = records["officer"]["id"]
    for path in form_paths(records):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path
    token = await login_form(client)  # a browser with the sign-in page's token but no session
    for path in [*form_paths(records), f"/console/officers/{o}/trainings", f"/console/officers/{o}/conflicts"]:
        r = await post(client, path, token, **institution_form())
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), path
    assert len(await api_list(client, records["headers"], "institutions")) == 1


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_roles_that_may_not_write_see_no_buttons_and_get_403(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any], role: Role
) -> None:
    token = await as_user(client, make_actor, role)
    i, o = records["institution"]["id"], records["officer"]["id"]
    for path, button in [
        ("/console/institutions", "新建机构"),
        (f"/console/institutions/{i}", "编辑"),
        ("/console/officers", "新增执法人员"),
        (f"/console/officers/{o}", "编辑"),
    ]:
        r = await client.get(path)
        assert r.status_code == 200 and f">{button}</a>" not in r.text and "保存" not in r.text, path
    for path in form_paths(records):
        assert (await client.get(path)).status_code == 403, path
        r = await post(client, path, token, **institution_form(), **{"revision": "0" * 32})
        assert r.status_code == 403 and "只能查看" in r.text, path
    r = await post(client, f"/console/officers/{o}/trainings", token, held_on="2023-01-05", hours="4", topic="培训")
    assert r.status_code == 403
    r = await post(client, f"/console/officers/{o}/conflicts", token, institution_id=i, reason="亲属")
    assert r.status_code == 403
    h = records["headers"]
    assert [x["name"] for x in await api_list(client, h, "institutions")] == ["西沱敬老院"]
    assert (await client.get(f"/api/v1/officers/{o}/trainings", headers=h)).json()["items"] == []


async def test_other_region_is_not_found_or_refused(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor, OTHER_REGION)
    i, o = records["institution"]["id"], records["officer"]["id"]
    for path in form_paths(records)[1::2]:
        r = await client.get(path)
        assert r.status_code == 404 and "未找到" in r.text, path
        r = await post(client, path, token, name="改名", revision="0" * 32)
        assert r.status_code == 404, path
    r = await post(client, f"/console/officers/{o}/trainings", token, held_on="2023-01-05", hours="4", topic="培训")
    assert r.status_code == 404
    r = await post(client, "/console/institutions/new", token, **institution_form())
    assert r.status_code == 403
    assert error(r.text, "region_code") == "该行政区划不在您的管辖范围内,请填写您所辖区划代码或留空"
    assert 'value="南宾街道敬老院"' in r.text  # what was typed is kept
    r = await post(client, "/console/officers/new", token, **officer_form())
    assert r.status_code == 403 and error(r.text, "region_code")
    h = records["headers"]
    assert [x["name"] for x in await api_list(client, h, "institutions")] == ["西沱敬老院"]
    assert [x["name"] for x in await api_list(client, h, "officers")] == ["谭明"]
    assert (await client.get(f"/api/v1/institutions/{i}", headers=h)).json()["name"] == "西沱敬老院"


async def test_creating_and_editing_an_institution(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor)
    r = await client.get("/console/institutions")
    assert '<a class="button" href="/console/institutions/new">新建机构</a>' in r.text
    r = await client.get("/console/institutions/new")
    assert r.status_code == 200
    for label in ("机构名称", "机构类型", "类别", "行政区划代码", "乡镇/街道", "统一社会信用代码", "地址", "联系人",
                  "联系电话", "床位数", "经营性质"):  # fmt: skip
        assert f">{label}" in r.text, label
    assert 'name="region_code" type="text" value="500240"' in r.text and ">保存</button>" in r.text

    bad = institution_form(name="", credit_code="91500240MA5U000019", beds="很多", contact_phone="abc")
    r = await post(client, "/console/institutions/new", token, **bad)
    assert r.status_code == 422
    assert error(r.text, "name") == "请填写机构名称"
    assert error(r.text, "credit_code") == "统一社会信用代码校验位不符,请核对后重新填写"
    assert error(r.text, "beds") == "床位数请填写整数"
    assert error(r.text, "contact_phone") == "联系电话格式不正确"
    assert 'aria-describedby="credit_code-error"' in r.text and 'value="91500240MA5U000019"' in r.text
    assert len(await api_list(client, records["headers"], "institutions")) == 1

    r = await post(client, "/console/institutions/new", token, **institution_form())
    assert r.status_code == 303
    ident = r.headers["location"].removeprefix("/console/institutions/")
    stored = (await client.get(f"/api/v1/institutions/{ident}", headers=records["headers"])).json()
    assert stored["name"] == "南宾街道敬老院" and stored["beds"] == 120 and stored["credit_code"] == credit_code("1")
    assert stored["operator_type"] == "public" and stored["contact_person"] == "马红"
    detail = await client.get(r.headers["location"])
    assert f'<a class="button" href="/console/institutions/{ident}/edit">编辑</a>' in detail.text

    r = await client.get(f"/console/institutions/{ident}/edit")
    assert r.status_code == 200 and 'value="南宾街道敬老院"' in r.text and 'value="public" selected' in r.text
    revision = REVISION.search(r.text)
    assert revision is not None
    edit = institution_form(beds="150", township="", status="suspended", revision=revision.group(1))
    r = await post(client, f"/console/institutions/{ident}/edit", token, **edit)
    assert (r.status_code, r.headers["location"]) == (303, f"/console/institutions/{ident}")
    stored = (await client.get(f"/api/v1/institutions/{ident}", headers=records["headers"])).json()
    assert (stored["beds"], stored["township"], stored["status"]) == (150, None, "suspended")

    # The same page saved again: its revision is stale now, nothing changes.
    r = await post(client, f"/console/institutions/{ident}/edit", token, **{**edit, "beds": "10"})
    assert r.status_code == 412 and STALE in r.text and 'value="10"' in r.text
    stored = (await client.get(f"/api/v1/institutions/{ident}", headers=records["headers"])).json()
    assert stored["beds"] == 150


async def test_a_stale_institution_edit_changes_nothing(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.admin)
    ident = records["institution"]["id"]
    page = await client.get(f"/console/institutions/{ident}/edit")
    revision = REVISION.search(page.text)
    assert revision is not None
    r = await client.patch(f"/api/v1/institutions/{ident}", json={"beds": 30}, headers=records["headers"])
    assert r.status_code == 200
    r = await post(client, f"/console/institutions/{ident}/edit", token, name="别名", revision=revision.group(1))
    assert r.status_code == 412 and STALE in r.text
    r = await post(client, f"/console/institutions/{ident}/edit", token, name="别名")  # no revision: stale too
    assert r.status_code == 412
    stored = (await client.get(f"/api/v1/institutions/{ident}", headers=records["headers"])).json()
    assert (stored["name"], stored["beds"]) == ("西沱敬老院", 30)


async def test_a_credit_code_already_registered_is_shown_beside_the_field(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor)
    taken = credit_code("7")
    r = await post(client, "/console/institutions/new", token, **institution_form(credit_code=taken.lower()))
    assert r.status_code == 409
    assert error(r.text, "credit_code") == "该统一社会信用代码已被登记,不能重复使用"
    assert len(await api_list(client, records["headers"], "institutions")) == 1
    r = await post(client, "/console/institutions/new", token, **institution_form())
    ident = r.headers["location"].removeprefix("/console/institutions/")
    revision = REVISION.search((await client.get(f"/console/institutions/{ident}/edit")).text)
    assert revision is not None
    r = await post(client, f"/console/institutions/{ident}/edit", token, credit_code=taken, revision=revision.group(1))
    assert r.status_code == 409 and error(r.text, "credit_code") and f'value="{taken}"' in r.text
    stored = (await client.get(f"/api/v1/institutions/{ident}", headers=records["headers"])).json()
    assert stored["credit_code"] == credit_code("1")


async def test_a_form_from_another_origin_changes_nothing(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.admin)
    r = await client.post(
        "/console/institutions/new",
        data={"csrf_token": token, **institution_form()},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403 and "请求来源无法确认" in r.text
    assert len(await api_list(client, records["headers"], "institutions")) == 1


async def test_unknown_records_are_not_found(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    token = await as_user(client, make_actor, Role.admin)
    for path in ("/console/institutions/nope/edit", f"/console/officers/{uuid.uuid4()}/edit"):
        assert (await client.get(path)).status_code == 404
        assert (await post(client, path, token, name="x", revision="0" * 32)).status_code == 404
    r = await post(client, "/console/officers/nope/trainings", token, held_on="2023-01-05", hours="4", topic="x")
    assert r.status_code == 404
