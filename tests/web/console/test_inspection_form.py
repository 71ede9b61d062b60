"""新建检查, the desk form (server side, both databases): who may record, region scope, messages beside the field
they name (422, the input kept), the hazards stored with the inspection, a double submit stored once, a changed
resubmission a conflict, and a form posted from another origin changing nothing."""

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
from tests.web.console.test_sessions import ORIGIN, TOKEN, sign_in

NEW = "/console/inspections/new"
FORM_ID = re.compile(r'name="id" value="([0-9a-f-]{36})"')


@dataclass(frozen=True)
class Desk:
    institution: str
    other_institution: str
    officers: list[str]  # two certified in 500240
    expired: str  # 500240, certificate expired 2022-12-31
    other_officer: str  # 万州区
    admin_headers: dict[str, str]


@pytest.fixture
async def desk(client: httpx.AsyncClient, make_actor: ActorFactory) -> Desk:
    h = (await make_actor(Role.admin, "")).headers
    own = await factories.institution(client, h, name="南宾敬老院")
    other = await factories.institution(client, h, name="万州敬老院", region_code=OTHER_REGION)
    officers = [(await factories.officer(client, h, name=name))["id"] for name in ("谭明", "冉静")]
    expired = await factories.officer(client, h, name="马过期", certificate_expires_on="2022-12-31")
    far = await factories.officer(client, h, name="万州执法员", region_code=OTHER_REGION)
    return Desk(own["id"], other["id"], officers, expired["id"], far["id"], h)


async def open_form(client: httpx.AsyncClient, make_actor: ActorFactory) -> str:
    """Sign in as a supervisor of 500240 and open the form; returns its CSRF token."""
    client.cookies.clear()
    user = await make_actor(Role.supervisor, OWN_REGION)
    assert (await sign_in(client, user.username)).status_code == 303
    r = await client.get(NEW)
    assert r.status_code == 200, r.text
    token = TOKEN.search(r.text)
    assert token is not None
    return token.group(1)


def filled(token: str, desk: Desk, **overrides: Any) -> dict[str, Any]:
    """A complete form: two hazards typed into fieldsets 0 and 2 (1 left blank), three fieldsets in all."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "id": str(uuid.uuid4()),
        "institution_id": desk.institution,
        "inspected_on": "2023-05-04",
        "type": "routine",
        "campaign": "",
        "officer_ids": desk.officers,
        "summary": "检查消防设施、食品安全台账",
        "hazard_rows": "3",
        "hazards.0.category": "fire_safety",
        "hazards.0.severity": "general",
        "hazards.0.description": "消防通道堆放杂物",
        "hazards.0.due_on": "2023-05-20",
        "hazards.2.category": "food",
        "hazards.2.severity": "major",
        "hazards.2.description": "食品留样记录缺失",
        "action": "save",
    }
    return factories.overridden(form, overrides)


async def post(client: httpx.AsyncClient, form: dict[str, Any], origin: str = ORIGIN) -> httpx.Response:
    return await client.post(NEW, data=form, headers={"Origin": origin})


async def stored(client: httpx.AsyncClient, desk: Desk) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/inspections", headers=desk.admin_headers)
    assert r.status_code == 200
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def beside(html: str, field: str) -> str:
    """The message shown right after the control of `field` (its `<field>-error`)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>', html)
    assert found is not None, f"no message beside {field}"
    return found.group(1)


async def test_without_a_session_the_form_goes_to_sign_in(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    r = await client.get(NEW)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=%2Fconsole%2Finspections%2Fnew"
    login = await client.get("/console/login")  # a pre-session token: CSRF passes, there is no session
    token = TOKEN.search(login.text)
    assert token is not None
    r = await post(client, filled(token.group(1), desk))
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert await stored(client, desk) == []


async def test_a_viewer_sees_no_link_and_may_not_record(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    client.cookies.clear()
    assert (await sign_in(client, (await make_actor(Role.viewer, OWN_REGION)).username)).status_code == 303
    listing = await client.get("/console/inspections")
    assert listing.status_code == 200 and "新建检查" not in listing.text
    r = await client.get(NEW)
    assert r.status_code == 403 and "不能登记检查" in r.text
    token = TOKEN.search(listing.text)
    assert token is not None
    r = await post(client, filled(token.group(1), desk))
    assert r.status_code == 403 and "不能登记检查" in r.text
    assert await stored(client, desk) == []


async def test_the_form_lists_the_region_with_certificates(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    await open_form(client, make_actor)
    listing = await client.get("/console/inspections")
    assert f'href="{NEW}">新建检查</a>' in listing.text
    r = await client.get(NEW)
    assert "南宾敬老院" in r.text and "万州敬老院" not in r.text and "万州执法员" not in r.text
    assert re.search(r'<input id="f-inspected_on" name="inspected_on" type="date" value="\d{4}-\d{2}-\d{2}"', r.text)
    row = re.search(rf'<li data-id="{desk.expired}">(.*?)</li>', r.text, re.S)
    assert row is not None and "2020-01-01 至 2022-12-31" in row.group(1) and 'data-certified="false"' in row.group(1)
    for label in (
        "机构",
        "检查日期",
        "检查类型",
        "专项名称",
        "执法人员",
        "检查情况",
        "类别",
        "等级",
        "描述",
        "整改期限",
    ):
        assert f">{label}</" in r.text
    assert "添加隐患</button>" in r.text and ">保存</button>" in r.text
    assert len(set(FORM_ID.findall(r.text))) == 1


async def test_a_desk_inspection_is_stored_with_its_hazards(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    form = filled(token, desk)
    r = await post(client, form)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/console/inspections/{form['id']}"
    record = (await client.get(f"/api/v1/inspections/{form['id']}", headers=desk.admin_headers)).json()
    assert record["institution_id"] == desk.institution and record["inspected_on"] == "2023-05-04"
    assert record["officer_ids"] == desk.officers and record["summary"] == "检查消防设施、食品安全台账"
    assert [(h["category"], h["severity"], h["description"], h["due_on"]) for h in record["hazards"]] == [
        ("fire_safety", "general", "消防通道堆放杂物", "2023-05-20"),
        ("food", "major", "食品留样记录缺失", None),
    ]
    assert all(h["status"] == "open" for h in record["hazards"])
    page = await client.get(r.headers["location"])
    assert page.status_code == 200 and "消防通道堆放杂物" in page.text and "食品留样记录缺失" in page.text


async def test_a_double_submit_stores_once_and_a_changed_one_is_a_conflict(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    form = filled(token, desk)
    first, second = await post(client, form), await post(client, form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(await stored(client, desk)) == 1
    r = await post(client, {**form, "summary": "另一次检查"})
    assert r.status_code == 409 and "内容与之不同,未保存" in beside(r.text, "form")
    assert f'href="/console/inspections/{form["id"]}"' in r.text and "另一次检查" in r.text
    assert len(await stored(client, desk)) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hazards.2.description": ""}, "hazards.1.description", "请填写描述"),
        ({"hazards.0.due_on": "2023-05-01"}, "hazards.0.due_on", "整改期限不能早于检查日期(2023-05-04)"),
        ({"hazards.0.category": "fire"}, "hazards.0.category", "类别请从列表中选择"),
        ({"inspected_on": "2023/5/4"}, "inspected_on", "检查日期请填写日期"),
        ({"inspected_on": "2099-01-01"}, "inspected_on", "检查日期不能晚于今天"),
        ({"institution_id": ""}, "institution_id", "请填写机构"),
        ({"type": ...}, "type", "请填写检查类型"),
        ({"officer_ids": ["first"]}, "officer_ids", "执法人员"),
    ],
)
async def test_bad_input_is_a_message_beside_its_field_and_the_form_keeps_it(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory, overrides: dict[str, Any], field: str, message: str
) -> None:
    token = await open_form(client, make_actor)
    if overrides.get("officer_ids") == ["first"]:
        overrides = {"officer_ids": desk.officers[:1]}
        message = "执法人员至少选择2项"
    r = await post(client, filled(token, desk, **overrides))
    assert r.status_code == 422, r.text
    assert message in beside(r.text, field)
    assert f'aria-describedby="{field}-error"' in r.text
    assert "检查消防设施、食品安全台账</textarea>" in r.text and "消防通道堆放杂物</textarea>" in r.text
    assert await stored(client, desk) == []


async def test_an_officer_not_certified_on_the_date_is_named_beside_its_checkbox(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    r = await post(client, filled(token, desk, officer_ids=[desk.officers[0], desk.expired]))
    assert r.status_code == 422
    assert beside(r.text, f"officer_ids.{desk.expired}") == "所选执法人员在2023-05-04没有有效的执法证"
    assert re.search(rf'value="{desk.expired}" checked aria-invalid="true"', r.text)
    assert await stored(client, desk) == []


@pytest.mark.parametrize("which", ["institution", "officer"])
async def test_records_outside_the_region_are_refused_and_not_stored(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory, which: str
) -> None:
    token = await open_form(client, make_actor)
    if which == "institution":
        form, field, message = filled(token, desk, institution_id=desk.other_institution), "institution_id", "机构"
    else:
        form = filled(token, desk, officer_ids=[desk.officers[0], desk.other_officer])
        field, message = "officer_ids", "执法人员"
    r = await post(client, form)
    assert r.status_code == 422
    assert beside(r.text, field) == f"所选{message}不存在或不在您的管辖范围内"
    assert await stored(client, desk) == []


async def test_an_inspector_records_only_what_it_takes_part_in(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    inspector = await make_actor(Role.inspector, OWN_REGION)
    r = await client.patch(
        f"/api/v1/users/{inspector.user_id}", json={"officer_id": desk.officers[0]}, headers=desk.admin_headers
    )
    assert r.status_code == 200, r.text
    client.cookies.clear()
    assert (await sign_in(client, inspector.username)).status_code == 303
    r = await client.get(NEW)
    assert r.status_code == 200 and re.search(rf'value="{desk.officers[0]}" checked', r.text)
    token = TOKEN.search(r.text)
    assert token is not None
    others = [desk.officers[1], desk.expired]
    r = await post(client, filled(token.group(1), desk, officer_ids=others))
    assert r.status_code == 403 and beside(r.text, "officer_ids") == "检查员只能登记本人参加的检查,请勾选您本人"
    assert await stored(client, desk) == []
    r = await post(client, filled(token.group(1), desk))
    assert r.status_code == 303 and len(await stored(client, desk)) == 1


async def test_add_hazard_adds_a_fieldset_and_keeps_what_was_typed(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    r = await post(client, filled(token, desk, action="add_hazard"))
    assert r.status_code == 200
    assert re.findall(r'data-hazard="(\d+)"', r.text) == ["0", "1", "2", "3"]
    assert 'name="hazard_rows" value="4"' in r.text
    # The typed hazards come first, in order; the blank ones after.
    assert re.search(r"消防通道堆放杂物.*食品留样记录缺失", r.text, re.S)
    assert re.search(r'id="f-hazards.1.severity".*?<option value="major" selected>', r.text, re.S)
    assert "field-error" not in r.text and await stored(client, desk) == []


async def test_a_form_from_another_origin_changes_nothing(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    r = await post(client, filled(token, desk), origin="http://test:8081")
    assert r.status_code == 403 and "请求来源无法确认" in r.text
    assert await stored(client, desk) == []


async def test_what_was_typed_is_shown_back_as_text(
    client: httpx.AsyncClient, desk: Desk, make_actor: ActorFactory
) -> None:
    token = await open_form(client, make_actor)
    typed = {"summary": "</textarea><script>alert(1)</script>", "campaign": '"><img src=x onerror=alert(1)>'}
    r = await post(client, filled(token, desk, action="add_hazard", **typed))
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "<img src=x" not in r.text
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in r.text
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in r.text
