"""执法人员 through the console (server side, both databases): create and edit, the officer page's 证件变更,
执法培训 and 回避 forms — rows stored, messages beside the field, a stale edit, a certificate number taken.
(Sign-in, roles and region scope of these forms: test_register_forms.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.auth.models import Role
from app.core import clock
from tests import factories
from tests.conftest import OTHER_REGION, ActorFactory
from tests.web.console.test_register_forms import REVISION, STALE, as_user, error, officer_form, post, records

__all__ = ["records"]


async def officer_api(client: httpx.AsyncClient, records: dict[str, Any], ident: str, tail: str = "") -> Any:
    r = await client.get(f"/api/v1/officers/{ident}{tail}", headers=records["headers"])
    assert r.status_code == 200, r.text
    return r.json()


async def test_creating_and_editing_an_officer(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor)
    r = await client.get("/console/officers")
    assert '<a class="button" href="/console/officers/new">新增执法人员</a>' in r.text
    r = await client.get("/console/officers/new")
    for label in ("姓名", "所在单位", "行政区划代码", "执法证号", "发证日期", "有效期至", "证件状态"):
        assert f">{label}" in r.text, label

    bad = officer_form(unit="", certificate_issued_on="2023/5/4", certificate_status="expired")
    r = await post(client, "/console/officers/new", token, **bad)
    assert r.status_code == 422
    assert error(r.text, "unit") == "请填写所在单位"
    assert error(r.text, "certificate_issued_on") == "发证日期请填写日期,如 2023-05-04"
    assert error(r.text, "certificate_status") == "证件状态请从列表中选择"
    r = await post(client, "/console/officers/new", token, **officer_form(certificate_expires_on="2020-01-01"))
    assert r.status_code == 422 and error(r.text, "certificate_expires_on") == "有效期至不能早于发证日期"
    assert len((await client.get("/api/v1/officers", headers=records["headers"])).json()["items"]) == 1

    r = await post(client, "/console/officers/new", token, **officer_form())
    assert r.status_code == 303
    ident = r.headers["location"].removeprefix("/console/officers/")
    stored = await officer_api(client, records, ident)
    assert (stored["name"], stored["certificate_no"], stored["certificate_expires_on"]) == (
        "秦岚",
        "渝执法500240099",
        "2027-02-28",
    )

    page = await client.get(f"/console/officers/{ident}/edit")
    assert 'value="2021-03-01"' in page.text and 'value="valid" selected' in page.text
    revision = REVISION.search(page.text)
    assert revision is not None
    edit = officer_form(unit="殡葬事务中心", certificate_no="", revision=revision.group(1))
    r = await post(client, f"/console/officers/{ident}/edit", token, **edit)
    assert (r.status_code, r.headers["location"]) == (303, f"/console/officers/{ident}")
    stored = await officer_api(client, records, ident)
    assert (stored["unit"], stored["certificate_no"], stored["certified"]) == ("殡葬事务中心", None, False)


async def test_a_certificate_number_taken_and_a_stale_edit(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.admin)
    r = await post(client, "/console/officers/new", token, **officer_form(certificate_no="渝执法500240001"))
    assert r.status_code == 409 and error(r.text, "certificate_no") == "该执法证号已被登记,不能重复使用"
    mine = (await post(client, "/console/officers/new", token, **officer_form())).headers["location"]
    revision = REVISION.search((await client.get(f"{mine}/edit")).text)
    assert revision is not None
    r = await post(client, f"{mine}/edit", token, certificate_no="渝执法500240001", revision=revision.group(1))
    assert r.status_code == 409 and error(r.text, "certificate_no") and 'value="渝执法500240001"' in r.text

    ident = mine.removeprefix("/console/officers/")
    r = await client.patch(f"/api/v1/officers/{ident}", json={"unit": "民政局"}, headers=records["headers"])
    assert r.status_code == 200
    r = await post(client, f"{mine}/edit", token, name="秦小岚", revision=revision.group(1))
    assert r.status_code == 412 and STALE in r.text
    stored = await officer_api(client, records, ident)
    assert (stored["name"], stored["unit"], stored["certificate_no"]) == ("秦岚", "民政局", "渝执法500240099")


async def test_the_certificate_form_on_the_officer_page(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor)
    ident = records["officer"]["id"]
    page = await client.get(f"/console/officers/{ident}")
    assert f'<a class="button" href="/console/officers/{ident}/edit">编辑</a>' in page.text
    assert "<summary>证件变更</summary>" in page.text and 'value="渝执法500240001"' in page.text
    revision = REVISION.search(page.text)
    assert revision is not None
    cert = {"certificate_no": "渝执法500240001", "certificate_issued_on": "2020-01-01"}
    r = await post(
        client,
        f"/console/officers/{ident}/edit",
        token,
        **cert,
        certificate_expires_on="2030-12-31",
        certificate_status="suspended",
        revision=revision.group(1),
    )
    assert r.status_code == 303
    stored = await officer_api(client, records, ident)
    assert (stored["certificate_status"], stored["certified"], stored["name"]) == ("suspended", False, "谭明")
    page = await client.get(f"/console/officers/{ident}")
    assert 'data-certified="false"' in page.text

    revision = REVISION.search(page.text)
    assert revision is not None
    r = await post(
        client, f"/console/officers/{ident}/edit", token, **cert, certificate_expires_on="2019-12-31",
        certificate_status="valid", revision=revision.group(1),
    )  # fmt: skip
    assert r.status_code == 422 and error(r.text, "certificate_expires_on") == "有效期至不能早于发证日期"
    assert (await officer_api(client, records, ident))["certificate_status"] == "suspended"


async def test_recording_a_training(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.supervisor)
    ident = records["officer"]["id"]
    path = f"/console/officers/{ident}/trainings"
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    r = await post(client, path, token, held_on=tomorrow, hours="0", topic="")
    assert r.status_code == 422
    assert error(r.text, "hours") == "学时须大于0" and error(r.text, "topic") == "请填写培训内容"
    r = await post(client, path, token, held_on=tomorrow, hours="4", topic="行政处罚法")
    assert r.status_code == 422 and error(r.text, "held_on") == "培训尚未举行,不能登记"
    assert f'value="{tomorrow}"' in r.text and 'value="行政处罚法"' in r.text
    assert await officer_api(client, records, ident, "/trainings") == {"items": [], "next_cursor": None}

    r = await post(client, path, token, held_on="2023-03-01", hours="3.5", topic="《行政处罚法》专题培训")
    assert (r.status_code, r.headers["location"]) == (303, f"/console/officers/{ident}#training")
    [training] = (await officer_api(client, records, ident, "/trainings"))["items"]
    assert (training["held_on"], training["hours"], training["topic"]) == ("2023-03-01", 3.5, "《行政处罚法》专题培训")
    page = await client.get(f"/console/officers/{ident}")
    assert "《行政处罚法》专题培训" in page.text and ">3.5<" in page.text


async def test_declaring_a_conflict(
    client: httpx.AsyncClient, make_actor: ActorFactory, records: dict[str, Any]
) -> None:
    token = await as_user(client, make_actor, Role.admin)
    ident, home = records["officer"]["id"], records["institution"]["id"]
    away = await factories.institution(client, records["headers"], name="万州敬老院", region_code=OTHER_REGION)
    page = await client.get(f"/console/officers/{ident}")
    assert f'<option value="{home}">西沱敬老院</option>' in page.text and "万州敬老院" not in page.text
    path = f"/console/officers/{ident}/conflicts"
    r = await post(client, path, token, institution_id="", reason="")
    assert r.status_code == 422
    assert error(r.text, "institution_id") == "机构无效,请从列表中选择" and error(r.text, "reason") == "请填写回避事由"
    r = await post(client, path, token, institution_id=away["id"], reason="近亲属任院长")
    assert r.status_code == 422 and error(r.text, "institution_id") == "所选机构不存在或不在您的管辖范围内"
    assert "近亲属任院长</textarea>" in r.text

    r = await post(client, path, token, institution_id=home, reason="近亲属任院长")
    assert (r.status_code, r.headers["location"]) == (303, f"/console/officers/{ident}#conflict")
    [conflict] = (await officer_api(client, records, ident, "/conflicts"))["items"]
    assert (conflict["institution_id"], conflict["reason"]) == (home, "近亲属任院长")
    r = await post(client, path, token, institution_id=home, reason="另一理由")  # declared already: the first stays
    assert r.status_code == 303
    [conflict] = (await officer_api(client, records, ident, "/conflicts"))["items"]
    assert conflict["reason"] == "近亲属任院长"
