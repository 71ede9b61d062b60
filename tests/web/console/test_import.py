"""批量导入 page (server side, both databases): the preview lists each row with its errors as 第N行 + heading,
stores nothing; 确认导入 posts only the signed token of the kept file and stores all rows; who may import,
CSRF, a forged or foreign token, a file refused whole, the templates."""

from __future__ import annotations

import re

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OWN_REGION, ActorFactory
from tests.imports.helpers import CREDIT, INSTITUTION_HEADINGS, institution, xlsx
from tests.web.console.test_sessions import ORIGIN, page_token, sign_in

PAGE = "/console/import"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
BAD = xlsx(INSTITUTION_HEADINGS, [institution("南宾街道敬老院", CREDIT[0]), institution("西沱镇敬老院", "123")])
GOOD = xlsx(INSTITUTION_HEADINGS, [institution("南宾街道敬老院", CREDIT[0]), institution("西沱镇敬老院", CREDIT[1])])


async def _signed_in(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role = Role.supervisor) -> str:
    client.cookies.clear()
    user = await make_actor(role, OWN_REGION)
    assert (await sign_in(client, user.username)).status_code == 303
    return await page_token(client)


async def _preview(client: httpx.AsyncClient, csrf: str, data: bytes, kind: str = "institutions") -> httpx.Response:
    return await client.post(
        PAGE,
        data={"csrf_token": csrf, "kind": kind},
        files={"file": ("名录.xlsx", data)},
        headers={"Origin": ORIGIN},
    )


async def _count(client: httpx.AsyncClient) -> int:
    r = await client.get("/console/institutions")
    return len(re.findall(r'<tr data-id="', r.text))


async def test_page_needs_a_session_and_a_manager(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    r = await client.get(PAGE)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    csrf = await _signed_in(client, make_actor, Role.inspector)
    r = await client.get(PAGE)
    assert r.status_code == 403 and "只有管理员和监管人员可以批量导入" in r.text
    assert (await _preview(client, csrf, GOOD)).status_code == 403
    assert await _count(client) == 0


async def test_form_shows_the_ui_labels(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    await _signed_in(client, make_actor)
    html = (await client.get(PAGE)).text
    for text in ("导入类型", ">机构<", ">执法人员<", "下载模板", '<label for="file">文件</label>', "上传预览"):
        assert text in html, text
    r = await client.get(f"{PAGE}/template", params={"kind": "officers", "format": "csv"})
    assert r.status_code == 200 and r.content.startswith("\ufeff姓名,所在单位".encode())


async def test_bad_row_preview_then_good_file_confirmed(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    csrf = await _signed_in(client, make_actor)
    r = await _preview(client, csrf, BAD)
    assert r.status_code == 422
    assert "第3行 统一社会信用代码:" in r.text
    assert '<tr data-row="2" data-action="create"' in r.text
    assert "确认导入" not in r.text.split("上传预览")[-1] and TOKEN.search(r.text) is None
    r = await _preview(client, csrf, GOOD)
    assert r.status_code == 200 and "新增 2 条" in r.text
    assert await _count(client) == 0  # the preview stored nothing
    token = TOKEN.search(r.text)
    assert token is not None
    form = {"csrf_token": csrf, "kind": "institutions", "token": token.group(1)}
    r = await client.post(f"{PAGE}/confirm", data=form, headers={"Origin": ORIGIN})
    assert r.status_code == 303 and "created=2" in r.headers["location"]
    assert '新增 <strong data-count="created">2</strong> 条' in (await client.get(r.headers["location"])).text
    assert await _count(client) == 2
    # The token is spent: confirming again changes nothing and asks for the file again.
    r = await client.post(f"{PAGE}/confirm", data=form, headers={"Origin": ORIGIN})
    assert r.status_code == 422 and "预览已过期或已导入" in r.text


async def test_confirm_needs_csrf_and_the_uploaders_own_token(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    csrf = await _signed_in(client, make_actor)
    token = TOKEN.search((await _preview(client, csrf, GOOD)).text)
    assert token is not None
    form = {"csrf_token": csrf, "kind": "institutions", "token": token.group(1)}
    r = await client.post(f"{PAGE}/confirm", data=form, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    forged = {**form, "token": token.group(1)[:-4] + "0000"}
    assert (await client.post(f"{PAGE}/confirm", data=forged, headers={"Origin": ORIGIN})).status_code == 422
    other_kind = {**form, "kind": "officers"}
    assert (await client.post(f"{PAGE}/confirm", data=other_kind, headers={"Origin": ORIGIN})).status_code == 422
    csrf2 = await _signed_in(client, make_actor)  # another supervisor of the same region
    r = await client.post(f"{PAGE}/confirm", data={**form, "csrf_token": csrf2}, headers={"Origin": ORIGIN})
    assert r.status_code == 422
    assert await _count(client) == 0


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"\xd0\xcf\x11\xe0" + b"\0" * 64, 422, "旧版 .xls 文件"),
        ("机构名称\n".encode(), 422, "表头下面没有数据行"),
    ],
)
async def test_a_file_refused_whole_is_shown_beside_the_file_input(
    client: httpx.AsyncClient, make_actor: ActorFactory, data: bytes, status: int, message: str
) -> None:
    csrf = await _signed_in(client, make_actor)
    r = await _preview(client, csrf, data)
    assert r.status_code == status
    assert re.search(rf'<p class="field-error" id="file-error" role="alert">[^<]*{re.escape(message)}', r.text)
    assert 'aria-describedby="file-error"' in r.text


async def test_no_file_chosen(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    csrf = await _signed_in(client, make_actor)
    r = await client.post(PAGE, data={"csrf_token": csrf, "kind": "officers"}, headers={"Origin": ORIGIN})
    assert r.status_code == 422 and "请选择要上传的文件" in r.text
