"""The hazard page's moves (开始整改 / 整改完成 / 验收销号 / 退回整改 / 作废 / 整改方案), server side, both databases:
no session, the buttons each role sees in each state, a refused role (403), another region (404), bad input
beside its field (422), a stale page (412), refused evidence (415 / 413), and each move's rows: the status, the
history entry with its note and evidence, the evidence stored. A refused move or file leaves every row as it was.
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import FOUND_ON, drive, hazard_url, history, move, new_hazard, read
from tests.hazards.test_evidence import jpeg, pdf, png, small_client
from tests.web.console.test_hazards import signed_in
from tests.web.console.test_sessions import ORIGIN, TOKEN, login_form

__all__ = ["small_client"]  # the fixture
BUTTONS = ("开始整改", "整改完成", "验收销号", "退回整改", "作废", "填写整改方案")
ETAG = re.compile(r'name="etag" value="([^"]+)"')
STALE = "该隐患已被他人更新,请刷新后重试"


def page_url(hazard_id: str) -> str:
    return f"/console/hazards/{hazard_id}"


def buttons(text: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="\w+"[^>]*>([^<]+)</button>', text)


async def open_form(client: httpx.AsyncClient, hazard_id: str, action: str) -> tuple[str, str]:
    """Click the move's button: the form's CSRF token and the ETag it holds."""
    r = await client.get(page_url(hazard_id), params={"action": action})
    assert r.status_code == 200, r.text
    assert f'data-move="{action}"' in r.text and ">确定</button>" in r.text
    token, etag = TOKEN.search(r.text), ETAG.search(r.text)
    assert token is not None and etag is not None
    return token.group(1), html.unescape(etag.group(1))


async def submit(
    client: httpx.AsyncClient,
    hazard_id: str,
    action: str,
    *,
    token: str,
    etag: str,
    files: list[tuple[str, bytes]] | None = None,
    **fields: str,
) -> httpx.Response:
    """Post the move's form as a browser does (multipart; an empty file part when no file is chosen)."""
    data = {"csrf_token": token, "action": action, "etag": etag, **fields}
    parts = [("file", (name, content, "application/octet-stream")) for name, content in files or []]
    parts = parts or [("file", ("", b"", "application/octet-stream"))]
    return await client.post(page_url(hazard_id), data=data, files=parts, headers={"Origin": ORIGIN})


async def act(client: httpx.AsyncClient, hazard_id: str, action: str, **kwargs: Any) -> httpx.Response:
    token, etag = await open_form(client, hazard_id, action)
    return await submit(client, hazard_id, action, token=token, etag=etag, **kwargs)


async def evidence_of(client: httpx.AsyncClient, admin: Actor, hazard_id: str) -> list[dict[str, Any]]:
    r = await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def unchanged(
    client: httpx.AsyncClient, admin: Actor, hazard_id: str, before: tuple[dict[str, Any], str]
) -> None:
    """The hazard, its history length and its evidence are as `before` (read with `read` and no files)."""
    assert await read(client, admin.headers, hazard_id) == before
    assert len(await history(client, admin.headers, hazard_id)) == int(before[1].strip('"').rsplit(".", 1)[1])
    assert await evidence_of(client, admin, hazard_id) == []


# (move, the state it starts from, the role, the status after it, a note it needs)
MOVES = [
    ("start", "open", "inspector", "rectifying", None),
    ("rectify", "rectifying", "inspector", "rectified", None),
    ("verify", "rectified", "supervisor", "verified", None),
    ("reject", "rectified", "supervisor", "rectifying", None),
    ("void", "open", "supervisor", "voided", "重复登记,与上一条为同一隐患"),
]


@pytest.mark.parametrize(("action", "state", "role", "after", "note"), MOVES)
async def test_each_move_with_its_evidence(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    action: str,
    state: str,
    role: str,
    after: str,
    note: str | None,
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, state)
    user = await signed_in(client, make_actor, role, OWN_REGION)
    photo, report = png(), pdf()
    r = await act(
        client,
        hazard_id,
        action,
        on="2023-05-08",
        note=note or "现场复查,已拍照",
        files=[("整改照片.png", photo), ("整改报告.pdf", report)],
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{page_url(hazard_id)}?done={action}&files=2"
    shown = await client.get(r.headers["location"])
    label = dict(zip(("start", "rectify", "verify", "reject", "void"), BUTTONS, strict=False))[action]
    assert f"已记录“{label}”,附证据材料 2 份" in shown.text
    assert "整改照片.png" in shown.text and "整改报告.pdf" in shown.text

    hazard, _tag = await read(client, admin.headers, hazard_id)
    assert hazard["status"] == after
    last = (await history(client, admin.headers, hazard_id))[-1]
    assert (last["action"], last["to"], last["on"], last["actor_name"]) == (action, after, "2023-05-08", user.username)
    assert last["note"] == (note or "现场复查,已拍照")
    files = await evidence_of(client, admin, hazard_id)
    assert sorted(last["evidence_ids"]) == sorted(f["id"] for f in files)
    assert {f["filename"]: f["content_type"] for f in files} == {
        "整改照片.png": "image/png",
        "整改报告.pdf": "application/pdf",
    }
    assert all(f["uploaded_by"] == user.username for f in files)


async def test_a_move_without_files_and_with_the_default_date(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await signed_in(client, make_actor, "inspector", OWN_REGION)
    token, etag = await open_form(client, hazard_id, "start")
    r = await submit(client, hazard_id, "start", token=token, etag=etag, on="", note="")
    assert r.status_code == 303 and r.headers["location"] == f"{page_url(hazard_id)}?done=start"
    last = (await history(client, admin.headers, hazard_id))[-1]
    assert last["action"] == "start" and last["note"] is None and last["evidence_ids"] == []
    assert "已记录“开始整改”" in (await client.get(r.headers["location"])).text


async def test_the_buttons_follow_the_role_and_the_state(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazards: dict[str, str] = {}
    for state in ("open", "rectified", "verified"):
        hazards[state] = await new_hazard(client, admin.headers)
        await drive(client, admin.headers, hazards[state], state)
    expected: dict[str, dict[str, list[str]]] = {
        "viewer": {"open": [], "rectified": [], "verified": []},
        "inspector": {"open": ["开始整改", "整改完成", "填写整改方案"], "rectified": [], "verified": []},
        "supervisor": {
            "open": ["开始整改", "整改完成", "作废", "填写整改方案"],
            "rectified": ["验收销号", "退回整改", "作废"],
            "verified": [],
        },
    }
    for role, by_state in expected.items():
        await signed_in(client, make_actor, role, OWN_REGION)
        for state, labels in by_state.items():
            r = await client.get(page_url(hazards[state]))
            assert r.status_code == 200
            assert buttons(r.text) == labels, (role, state)
            assert ("办理</h2>" in r.text) == bool(labels)
            # a move the role or the state does not allow does not open its form
            r = await client.get(page_url(hazards[state]), params={"action": "verify"})
            assert (">确定</button>" in r.text) == ("验收销号" in labels), (role, state)


async def test_without_a_session_it_goes_to_sign_in(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    r = await client.get(page_url(hazard_id), params={"action": "start"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")
    token = await login_form(client)  # a browser's pre-session token: the CSRF check passes, there is no user
    r = await submit(client, hazard_id, "start", token=token, etag=before[1], files=[("a.png", png())])
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")
    await unchanged(client, admin, hazard_id, before)


@pytest.mark.parametrize(("role", "action"), [("viewer", "start"), ("viewer", "plan"), ("inspector", "void")])
async def test_a_role_that_may_not_move_is_403(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: str, action: str
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    await signed_in(client, make_actor, role, OWN_REGION)
    r = await client.get("/console/")
    token = TOKEN.search(r.text)
    assert token is not None
    r = await submit(
        client,
        hazard_id,
        action,
        token=token.group(1),
        etag=before[1],
        note="登记错误",
        measures="清理",
        responsible_person="张三",
        files=[("a.png", png())],
    )
    assert r.status_code == 403, r.text
    assert "您的角色" in r.text and "不能对隐患执行" in r.text
    await unchanged(client, admin, hazard_id, before)


async def test_a_hazard_of_another_region_is_404(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    await signed_in(client, make_actor, "supervisor", OTHER_REGION)
    r = await client.get(page_url(hazard_id), params={"action": "start"})
    assert r.status_code == 404 and "未找到该隐患" in r.text
    token = TOKEN.search(r.text)
    assert token is not None
    r = await submit(client, hazard_id, "start", token=token.group(1), etag=before[1], files=[("a.png", png())])
    assert r.status_code == 404 and "未找到该隐患" in r.text
    await unchanged(client, admin, hazard_id, before)


@pytest.mark.parametrize(
    ("action", "fields", "field", "message"),
    [
        ("start", {"on": "2023-5-8"}, "on", "日期请填写日期,如 2023-05-04"),
        ("start", {"on": "2999-01-01"}, "on", "日期不能晚于今天"),
        ("rectify", {"on": "2023-05-01"}, "on", f"日期不能早于发现日期({FOUND_ON})"),
        ("void", {"on": "2023-05-08", "note": "   "}, "note", "作废须填写说明"),
        ("void", {"on": "2023-05-08", "note": "长" * 2001}, "note", "说明最多2000个字"),
        (
            "plan",
            {"on": "2023-05-08", "measures": "", "responsible_person": "张三"},
            "rectification_plan-measures",
            "请填写整改措施",
        ),
    ],
)
async def test_bad_input_is_422_beside_its_field(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    action: str,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    await signed_in(client, make_actor, "supervisor", OWN_REGION)
    r = await act(client, hazard_id, action, files=[("a.png", png())], **fields)
    assert r.status_code == 422, r.text
    error = re.search(rf'<p class="field-error" id="{field}-error" role="alert">([^<]+)</p>', r.text)
    assert error is not None and message in html.unescape(error.group(1)), r.text
    assert f'aria-describedby="{field}-error"' in r.text
    assert f'data-move="{action}"' in r.text  # the form stays open and keeps what was typed
    assert f'name="on" type="date" value="{fields["on"]}"' in r.text
    await unchanged(client, admin, hazard_id, before)


async def test_a_stale_page_is_412_and_changes_nothing(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await signed_in(client, make_actor, "supervisor", OWN_REGION)
    token, etag = await open_form(client, hazard_id, "rectify")
    moved = await move(client, admin.headers, hazard_id, "start", "2023-05-05")  # someone else, meanwhile
    assert moved.status_code == 200
    before = await read(client, admin.headers, hazard_id)
    r = await submit(client, hazard_id, "rectify", token=token, etag=etag, on="2023-05-08", files=[("a.png", png())])
    assert r.status_code == 412, r.text
    assert STALE in r.text and "整改中" in r.text  # the page now shows the current state
    await unchanged(client, admin, hazard_id, before)
    token, etag = await open_form(client, hazard_id, "rectify")  # reloaded: the move goes through
    r = await submit(client, hazard_id, "rectify", token=token, etag=etag, on="2023-05-08")
    assert r.status_code == 303


async def test_a_refused_file_changes_nothing(
    client: httpx.AsyncClient, small_client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    await signed_in(client, make_actor, "inspector", OWN_REGION)
    gif = b"GIF89a" + bytes(40)
    r = await act(client, hazard_id, "start", on="2023-05-08", note="附件", files=[("a.png", png()), ("x.gif", gif)])
    assert r.status_code == 415, r.text
    assert "证据材料须为 JPEG、PNG、WebP 图片或 PDF 文件" in r.text and 'id="file-error"' in r.text
    assert ">附件</textarea>" in r.text  # what was typed stays
    await unchanged(client, admin, hazard_id, before)

    await signed_in(small_client, make_actor, "inspector", OWN_REGION)  # EVIDENCE_MAX_BYTES = 1000
    big = jpeg() + bytes(1000)
    r = await act(small_client, hazard_id, "start", on="2023-05-08", files=[("big.jpg", big)])
    assert r.status_code == 413, r.text
    assert "每个文件不能超过" in r.text and 'id="file-error"' in r.text
    await unchanged(client, admin, hazard_id, before)


async def test_the_rectification_plan(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await signed_in(client, make_actor, "inspector", OWN_REGION)
    plan = {
        "measures": "清理消防通道,设置禁止堆放标识",
        "responsible_person": "张三(院长)",
        "funds": "",
        "deadline_note": "5月10日前完成",
    }
    r = await act(client, hazard_id, "plan", on="2023-05-08", **plan)
    assert r.status_code == 303, r.text
    hazard, _tag = await read(client, admin.headers, hazard_id)
    assert hazard["status"] == "open"
    assert hazard["rectification_plan"] == {
        "measures": plan["measures"],
        "responsible_person": plan["responsible_person"],
        "funds": None,
        "deadline_note": plan["deadline_note"],
    }
    shown = (await client.get(r.headers["location"])).text
    assert "已记录“整改方案”" in shown and "清理消防通道,设置禁止堆放标识" in shown
    # the form opens with the plan as stored
    form = (await client.get(page_url(hazard_id), params={"action": "plan"})).text
    assert 'value="张三(院长)"' in form


async def test_a_post_from_another_origin_is_refused(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    before = await read(client, admin.headers, hazard_id)
    await signed_in(client, make_actor, "supervisor", OWN_REGION)
    token, etag = await open_form(client, hazard_id, "void")
    data = {"csrf_token": token, "action": "void", "etag": etag, "note": "伪造"}
    for headers in ({"Origin": "http://test:8080"}, {"Origin": "http://evil.example"}, {}):
        r = await client.post(page_url(hazard_id), data=data, headers=headers)
        assert r.status_code == 403 and "请求来源无法确认" in r.text
    r = await client.post(page_url(hazard_id), data={**data, "csrf_token": "0" * 64}, headers={"Origin": ORIGIN})
    assert r.status_code == 403
    await unchanged(client, admin, hazard_id, before)
