"""The hazard page's moves in a real browser (Debian's Chromium through Playwright) against a real `serve` holding
the seed-demo data: an inspector's 整改完成 with a photo then a supervisor's 验收销号, a 退回整改, a 作废 refused
without a note then accepted, a stale page (two tabs), a form posted from another origin (a page served on
another port of 127.0.0.1) that changes nothing, and hazard descriptions holding markup shown as text on the
ledger and the hazard page (no dialog, no element made from them). Screenshots go to tests/web/screenshots/.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page

from app.demo import DEMO_ADMIN
from tests.web.console.test_console_browser import PASSWORD
from tests.web.console.test_console_browser import base_url as demo_server  # noqa: F401 (the fixture)
from tests.web.console.test_console_browser import browser as chromium  # noqa: F401 (the fixture)
from tests.web.console.test_hazards_browser import photo_png
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
USER_PASSWORD = "moves-demo-password"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
NAMES = ("round_trip", "reject", "void", "stale", "csrf", "script", "img")
STALE = "该隐患已被他人更新,请刷新后重试"


@dataclass(frozen=True)
class World:
    base: str
    admin: dict[str, str]
    inspector: str
    supervisor: str
    institution: str
    hazards: dict[str, str]

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base}/api/v1", headers=self.admin, timeout=30)

    def hazard(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """The hazard, its history and its evidence, as the API gives them."""
        with self.api() as api:
            path = f"/hazards/{self.hazards[name]}"
            return (
                api.get(path).json(),
                api.get(f"{path}/history").json()["items"],
                api.get(f"{path}/evidence").json()["items"],
            )


@pytest.fixture(scope="module")
def world(demo_server: str) -> World:  # noqa: F811
    """A supervisor and an inspector of 500240, and an inspection (2023-05-04) with one hazard per scenario."""
    with httpx.Client(base_url=f"{demo_server}/api/v1", timeout=30) as api:
        r = api.post("/auth/token", data={"username": DEMO_ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        names: dict[str, str] = {}
        for role in ("inspector", "supervisor"):
            names[role] = f"{role}-{uuid.uuid4().hex[:6]}"
            body = {"username": names[role], "password": USER_PASSWORD, "role": role, "region_code": "500240"}
            assert api.post("/users", json=body, headers=headers).status_code == 201
        place = {"name": f"敬老院-{uuid.uuid4().hex[:6]}", "kind": "elderly_care", "region_code": "500240"}
        r = api.post("/institutions", json=place, headers=headers)
        assert r.status_code == 201, r.text
        institution = r.json()["id"]
        officers = []
        for name in ("谭明", "冉华"):
            body = {
                "name": name,
                "unit": "社会福利中心",
                "region_code": "500240",
                "certificate_no": f"渝执法{uuid.uuid4().hex[:8]}",
                "certificate_issued_on": "2020-01-01",
                "certificate_expires_on": "2030-12-31",
            }
            r = api.post("/officers", json=body, headers=headers)
            assert r.status_code == 201, r.text
            officers.append(r.json()["id"])
        descriptions = {"script": f"消防通道 {SCRIPT} 堆放杂物", "img": f"灭火器过期{IMG}"}
        hazards = [
            {"category": "fire_safety", "severity": "general", "description": descriptions.get(n, f"隐患-{n}")}
            for n in NAMES
        ]
        record: dict[str, Any] = {
            "institution_id": institution,
            "inspected_on": "2023-05-04",
            "type": "routine",
            "officer_ids": officers,
            "summary": "检查消防设施",
            "hazards": hazards,
        }
        r = api.post("/inspections", json=record, headers=headers)
        assert r.status_code == 201, r.text
        ids = dict(zip(NAMES, (h["id"] for h in r.json()["hazards"]), strict=True))
        r = api.post(
            f"/hazards/{ids['reject']}/transitions", json={"action": "rectify", "on": "2023-05-06"}, headers=headers
        )
        assert r.status_code == 200, r.text
    return World(demo_server, headers, names["inspector"], names["supervisor"], institution, ids)


async def signed_in(browser: Browser, world: World, username: str, path: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = await context.new_page()
    await page.goto(f"{world.base}{path}")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(USER_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{world.base}{path}")
    return page


def hazard_path(world: World, name: str) -> str:
    return f"/console/hazards/{world.hazards[name]}"


async def status_shown(page: Page) -> str:
    return (await page.locator(".hazard .status").inner_text()).strip()


async def test_rectify_with_a_photo_then_verify(chromium: Browser, world: World, tmp_path: Path) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(exist_ok=True)
    path = hazard_path(world, "round_trip")
    page = await signed_in(chromium, world, world.inspector, path)
    seen = watch(page)
    assert await page.get_by_role("button", name="验收销号").count() == 0  # an inspector does not verify
    await page.get_by_role("button", name="整改完成").click()
    await page.get_by_label("日期").fill("2023-05-10")
    await page.get_by_label("说明").fill("已清理消防通道,设置禁止堆放标识")
    photo = tmp_path / "整改后.png"
    photo.write_bytes(photo_png())
    await page.get_by_label("证据材料").set_input_files(str(photo))
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-rectify-form.png"), full_page=True)
    await page.get_by_role("button", name="确定").click()
    await page.wait_for_url(f"{world.base}{path}?done=rectify&files=1")
    await page.get_by_text("已记录“整改完成”,附证据材料 1 份").wait_for()
    assert await status_shown(page) == "已整改"
    image = page.get_by_role("img", name="证据照片:整改后.png")
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 64
    assert await page.get_by_role("button", name="整改完成").count() == 0  # no second rectify
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-rectified.png"), full_page=True)
    await page.close()

    page = await signed_in(chromium, world, world.supervisor, path)
    await page.get_by_role("button", name="验收销号").click()
    await page.get_by_label("日期").fill("2023-05-12")
    await page.get_by_label("说明").fill("现场复查合格")
    await page.get_by_role("button", name="确定").click()
    await page.wait_for_url(f"{world.base}{path}?done=verify")
    assert await status_shown(page) == "已销号"
    rows = await page.locator("table.history tbody tr td:nth-child(2)").all_inner_texts()
    assert rows == ["登记", "整改完成", "验收销号"]
    assert await page.get_by_role("heading", name="办理").count() == 0  # nothing more to do
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-verified.png"), full_page=True)

    hazard, history, files = world.hazard("round_trip")
    assert (hazard["status"], hazard["rectified_on"], hazard["verified_on"]) == ("verified", "2023-05-10", "2023-05-12")
    assert [f["filename"] for f in files] == ["整改后.png"]
    assert history[1]["evidence_ids"] == [files[0]["id"]] and history[1]["actor_name"] == world.inspector
    assert history[2]["actor_name"] == world.supervisor and history[2]["note"] == "现场复查合格"
    assert seen.foreign(world.base) == [] and seen.csp_violations == [] and seen.errors == []


async def test_reject_sends_it_back(chromium: Browser, world: World) -> None:  # noqa: F811
    path = hazard_path(world, "reject")
    page = await signed_in(chromium, world, world.supervisor, path)
    await page.get_by_role("button", name="退回整改").click()
    await page.get_by_label("说明").fill("整改不到位,杂物仍未清理")
    await page.get_by_role("button", name="确定").click()
    await page.wait_for_url(f"{world.base}{path}?done=reject")
    await page.get_by_text("已记录“退回整改”").wait_for()
    assert await status_shown(page) == "整改中"
    await page.get_by_role("cell", name="整改不到位,杂物仍未清理").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-rejected.png"), full_page=True)
    hazard, history, _files = world.hazard("reject")
    assert hazard["status"] == "rectifying" and hazard["rectified_on"] is None
    assert history[-1]["action"] == "reject"


async def test_a_void_needs_a_note(chromium: Browser, world: World) -> None:  # noqa: F811
    path = hazard_path(world, "void")
    page = await signed_in(chromium, world, world.supervisor, path)
    await page.get_by_role("button", name="作废").click()
    await page.get_by_label("说明").fill("   ")  # blank: the browser lets it through, the service refuses it
    await page.get_by_role("button", name="确定").click()
    error = page.locator("#note-error")
    await error.wait_for()
    assert (await error.inner_text()).startswith("作废须填写说明")
    assert await page.get_by_label("说明").get_attribute("aria-describedby") == "note-error"
    assert await status_shown(page) == "待整改"
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-void-needs-note.png"), full_page=True)
    await page.get_by_label("说明").fill("重复登记,与同次检查另一条为同一隐患")
    await page.get_by_role("button", name="确定").click()
    await page.wait_for_url(f"{world.base}{path}?done=void")
    assert await status_shown(page) == "已作废"
    hazard, history, _files = world.hazard("void")
    assert hazard["status"] == "voided" and len(history) == 2


async def test_a_stale_page_changes_nothing(chromium: Browser, world: World) -> None:  # noqa: F811
    path = hazard_path(world, "stale")
    first = await signed_in(chromium, world, world.supervisor, path)
    second = await first.context.new_page()
    await first.get_by_role("button", name="开始整改").click()
    await first.get_by_label("说明").fill("第一个标签页")
    await second.goto(f"{world.base}{path}")
    await second.get_by_role("button", name="整改完成").click()
    await second.get_by_label("说明").fill("第二个标签页先提交")
    await second.get_by_role("button", name="确定").click()
    await second.wait_for_url(f"{world.base}{path}?done=rectify")

    await first.get_by_role("button", name="确定").click()
    await first.get_by_text(STALE).wait_for()
    assert await status_shown(first) == "已整改"  # the page now shows what the other tab did
    await first.screenshot(path=str(SCREENSHOTS / "console-hazard-stale.png"), full_page=True)
    hazard, history, _files = world.hazard("stale")
    assert hazard["status"] == "rectified"
    assert [(h["action"], h["note"]) for h in history] == [("create", None), ("rectify", "第二个标签页先提交")]


class _Attacker(BaseHTTPRequestHandler):
    """Serves one page that posts a 作废 form to the console as soon as it loads."""

    target = ""

    def do_GET(self) -> None:
        body = f"""<!doctype html><html><body>
<form id="f" method="post" action="{self.target}" enctype="multipart/form-data">
<input name="csrf_token" value="{"0" * 64}"><input name="action" value="void">
<input name="etag" value="*"><input name="note" value="伪造的作废"></form>
<script>document.getElementById("f").submit()</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def attacker(world: World) -> Iterator[str]:
    _Attacker.target = f"{world.base}{hazard_path(world, 'csrf')}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_form_from_another_origin_changes_nothing(
    chromium: Browser,  # noqa: F811
    world: World,
    attacker: str,
) -> None:
    before = world.hazard("csrf")
    page = await signed_in(chromium, world, world.supervisor, hazard_path(world, "csrf"))
    await page.goto(attacker)  # another port of the same host: the same site, another origin
    await page.wait_for_url(f"{world.base}{hazard_path(world, 'csrf')}")
    await page.get_by_text("请求来源无法确认,已拒绝").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-csrf-refused.png"), full_page=True)
    assert world.hazard("csrf") == before
    assert before[0]["status"] == "open" and len(before[1]) == 1


async def test_markup_in_a_description_is_text(chromium: Browser, world: World) -> None:  # noqa: F811
    dialogs: list[str] = []
    page = await signed_in(chromium, world, world.supervisor, f"/console/hazards?institution_id={world.institution}")

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    for text in (SCRIPT, IMG):
        await page.get_by_role("link", name=text).wait_for()
    assert await page.locator("main script, main img[src='x']").count() == 0
    await page.screenshot(path=str(SCREENSHOTS / "console-hazards-markup-as-text.png"), full_page=True)
    for name, text in (("script", SCRIPT), ("img", IMG)):
        await page.goto(f"{world.base}{hazard_path(world, name)}")
        heading = page.get_by_role("heading", level=2).first
        assert text in await heading.inner_text()
        assert await page.locator("main script, main img[src='x']").count() == 0
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-markup-as-text.png"), full_page=True)
    assert dialogs == []
