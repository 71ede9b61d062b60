"""The field app (执法终端) in a real browser — Debian's Chromium through Playwright, a 360 × 740 touch viewport —
against a real `serve` holding the seed-demo data, as UI.md "Field app" and issue 19 describe it:

- after one online visit it opens with the network off, from the service worker's cache;
- two inspections recorded offline (one with two hazards and a camera-sized photo) survive a reload, the outbox
  count says 2, and with the network back it drops to 0 with exactly those records on the server, the photo
  resized to a JPEG under EVIDENCE_MAX_BYTES as the hazard's evidence;
- an answer lost after the server committed is retried and replayed: still one record;
- a 422 (the institution closed meanwhile) lands in 需处理 with the server's detail and stays;
- an expired certificate cannot be chosen; a second user on the same device never sends the first one's items.

No request to another origin and no CSP violation. Screenshots: tests/web/screenshots/field-*.png.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, Route

from bench.common import free_port
from tests.serving import serve, serve_at
from tests.web.field.browser import (
    PHONE,
    Admin,
    count,
    jpeg_size,
    noisy_png,
    outbox,
    phone,
    record,
    seed,
    sign_in,
)
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
MAX_BYTES = 300_000  # small enough that a camera photo must be resized and recompressed to fit


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("field-server")
    seed(folder)
    with serve(folder, EVIDENCE_MAX_BYTES=str(MAX_BYTES)) as base:
        yield base


@pytest.fixture(scope="module")
def admin(base_url: str) -> Iterator[Admin]:
    api = Admin(base_url)
    yield api
    api.close()


async def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"field-{name}.png"), full_page=True)


async def _until_count(page: Page, expected: str, timeout_ms: float = 30_000) -> None:
    await page.wait_for_function(
        "n => document.querySelector('[data-outbox-count]').textContent.trim() === n", arg=expected, timeout=timeout_ms
    )


async def test_offline_inspections_with_a_photo_sync_when_the_network_returns(
    browser: Browser, base_url: str, admin: Admin, tmp_path_factory: pytest.TempPathFactory
) -> None:
    crew = admin.crew()
    names = ("敬老院甲" + crew.own[:4], "养老中心乙" + crew.own[:4])
    institutions = [admin.institution(name) for name in names]
    async with phone(browser) as (context, page):
        seen = watch(page)
        await page.goto(f"{base_url}/field/")
        await page.get_by_label("用户名").wait_for()
        assert await page.get_by_role("button", name="同步").is_hidden()  # nothing to send signed out
        await _shot(page, "login")
        await sign_in(page, base_url, crew.username)

        await context.set_offline(True)
        await page.reload()
        await page.locator("#main").wait_for(state="visible")
        assert await page.locator("#net").inner_text() == "(离线)"
        assert await count(page) == "0"

        photo = tmp_path_factory.mktemp("photos") / "IMG_0001.png"
        photo.write_bytes(noisy_png(2400, 1800))
        await page.get_by_label("机构", exact=True).select_option(label=names[0])
        await page.get_by_label(crew.own_name).check()
        await page.get_by_label(crew.partner_name).check()
        await page.get_by_label("检查情况").fill("消防通道、食堂留样")
        for n in range(2):
            await page.get_by_role("button", name="添加隐患").click()
            box = page.locator(f'fieldset[data-hazard="{n}"]')
            await box.get_by_label("类别").select_option(label=("消防安全", "食品安全")[n])
            await box.get_by_label("等级").select_option(label=("重大", "一般")[n])
            await box.get_by_label("描述").fill(("消防通道堆放杂物", "食品留样记录缺失")[n])
        first = page.locator('fieldset[data-hazard="0"]')
        await first.get_by_label("照片").set_input_files(str(photo))
        await first.locator(".thumbs img").wait_for()
        await _shot(page, "new-offline")
        await page.get_by_role("button", name="保存").click()
        await _until_count(page, "1")
        await record(page, crew, names[1], "日常检查", hazards=1)  # a second form numbers its hazards from 1
        await _until_count(page, "2")

        await page.reload()  # still offline
        await page.locator("#main").wait_for(state="visible")
        await _until_count(page, "2")
        await page.get_by_role("button", name="我的检查").click()
        assert await page.locator('#mine li[data-state="pending"]').count() == 2
        assert "待同步" in await page.locator("#mine").inner_text()
        await _shot(page, "outbox-offline")

        await context.set_offline(False)
        await _until_count(page, "0", 60_000)
        await page.locator('#mine li[data-state="synced"]').nth(1).wait_for()
        await _shot(page, "synced")
        items = {i["payload"]["institution_id"]: i for i in await outbox(page)}
        assert set(items) == set(institutions)
        assert all(i["state"] == "synced" for i in items.values())

    with_hazards = items[institutions[0]]["payload"]
    r = admin.http.get(f"/inspections/{with_hazards['id']}")
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["institution_id"] == institutions[0] and stored["summary"] == "消防通道、食堂留样"
    assert sorted(stored["officer_ids"]) == sorted([crew.own, crew.partner])
    listed = stored["hazards"]
    assert [h["description"] for h in listed] == ["消防通道堆放杂物", "食品留样记录缺失"]
    assert {h["id"] for h in listed} == {h["id"] for h in with_hazards["hazards"]}
    fire = next(h for h in listed if h["category"] == "fire_safety")
    evidence = admin.http.get(f"/hazards/{fire['id']}/evidence").json()["items"]
    assert len(evidence) == 1
    data = admin.http.get(f"/hazards/{fire['id']}/evidence/{evidence[0]['id']}").content
    assert len(data) <= MAX_BYTES and max(jpeg_size(data)) <= 1600
    other = next(h for h in listed if h["category"] == "food")
    assert admin.http.get(f"/hazards/{other['id']}/evidence").json()["items"] == []
    plain = admin.http.get(f"/inspections/{items[institutions[1]]['payload']['id']}").json()
    assert plain["summary"] == "日常检查" and [h["description"] for h in plain["hazards"]] == ["日常检查 隐患1"]
    for institution in institutions:
        assert len(admin.http.get("/inspections", params={"institution_id": institution}).json()["items"]) == 1
    assert not seen.csp_violations and not seen.blocked_by_csp, seen
    assert all(url.startswith((base_url, "blob:", "data:")) for url in seen.requests), seen.requests


async def test_a_lost_answer_is_replayed_not_doubled(browser: Browser, base_url: str, admin: Admin) -> None:
    crew = admin.crew()
    name = "福利院丙" + crew.own[:4]
    institution = admin.institution(name)
    posts: list[int] = []

    async with phone(browser) as (context, page):
        await sign_in(page, base_url, crew.username)

        async def lose_first_answer(route: Route) -> None:
            if route.request.method != "POST":
                await route.continue_()
                return
            posts.append(1)
            response = await route.fetch()  # the server commits ...
            if len(posts) == 1:
                assert response.status == 201
                await route.abort("connectionreset")  # ... and the answer never reaches the phone
            else:
                await route.fulfill(response=response)

        await context.route("**/api/v1/inspections", lose_first_answer)
        await record(page, crew, name, "答复丢失后重发")
        await _until_count(page, "0", 60_000)
        (item,) = await outbox(page)
        assert item["state"] == "synced"
    assert len(posts) == 2
    listed = admin.http.get("/inspections", params={"institution_id": institution}).json()["items"]
    assert [i["id"] for i in listed] == [item["payload"]["id"]]


async def test_a_422_lands_in_needs_attention_and_stays(browser: Browser, base_url: str, admin: Admin) -> None:
    crew = admin.crew()
    name = "颐养院丁" + crew.own[:4]
    institution = admin.institution(name)
    async with phone(browser) as (context, page):
        await sign_in(page, base_url, crew.username)
        await context.set_offline(True)
        await record(page, crew, name, "机构已关闭")
        assert await count(page) == "1"
        r = admin.http.patch(f"/institutions/{institution}", json={"status": "closed"})
        assert r.status_code == 200, r.text
        await context.set_offline(False)
        await _until_count(page, "0", 60_000)
        await page.get_by_role("button", name="需处理").click()
        failed = page.locator('#failed li[data-state="failed"]')
        await failed.wait_for()
        assert "is closed and cannot be inspected" in await failed.locator(".detail").inner_text()
        assert await page.locator("[data-failed-count]").inner_text() == "1"
        assert "机构已关闭" in await failed.locator(".explain").inner_text()
        await _shot(page, "needs-attention")
        await page.reload()
        await page.get_by_role("button", name="需处理").click()
        await page.locator('#failed li[data-state="failed"]').wait_for()
        await page.get_by_role("button", name="同步").click()
        await asyncio.sleep(1)
        (item,) = await outbox(page)
        assert item["state"] == "failed" and await count(page) == "0"
    assert admin.http.get(f"/inspections/{item['payload']['id']}").status_code == 404


async def test_expired_certificates_and_a_second_user(browser: Browser, base_url: str, admin: Admin) -> None:
    first, second = admin.crew(), admin.crew()
    name = "殡仪馆戊" + first.own[:4]
    institution = admin.institution(name)
    async with phone(browser) as (context, page):
        await sign_in(page, base_url, first.username)
        expired = page.get_by_label(first.expired_name)
        assert await expired.is_disabled()
        label = page.locator(f'#officer-invalid label[for="o-{first.expired}"]')
        await page.locator("#officer-others summary").click()  # folded away until asked for
        assert "证件已过期" in await label.inner_text()
        assert await page.locator(f'#officer-list input[value="{first.expired}"]').count() == 0
        assert await page.get_by_label(first.own_name).is_enabled()
        await _shot(page, "expired-certificate")
        await page.set_viewport_size({"width": 1280, "height": 800})  # a desktop browser: a column, not full width
        box = await page.locator("#inspection-form").bounding_box()
        assert box is not None and box["width"] <= 760 and box["x"] > 200
        await _shot(page, "desktop")
        await page.set_viewport_size(PHONE)

        await context.set_offline(True)
        await record(page, first, name, "第一位检查员的记录")
        (mine,) = await outbox(page)
        await page.get_by_role("button", name="退出").click()
        await page.get_by_label("用户名").wait_for()
        assert "未同步的记录保留在本机" in await page.locator("#message").inner_text()
        assert await count(page) == "1"  # the signed-out user's item waits for their next sign-in
        await context.set_offline(False)
        await sign_in(page, base_url, second.username)
        assert await count(page) == "0"
        await page.get_by_role("button", name="同步").click()
        await asyncio.sleep(2)
        assert [i["state"] for i in await outbox(page)] == ["pending"]
        assert admin.http.get(f"/inspections/{mine['payload']['id']}").status_code == 404
        await page.get_by_role("button", name="我的检查").click()
        assert await page.locator("#mine li").count() == 0
        await _shot(page, "second-user")

        await page.get_by_role("button", name="退出").click()
        await sign_in(page, base_url, first.username)
        await _until_count(page, "0", 60_000)
        assert [i["state"] for i in await outbox(page)] == ["synced"]
    assert admin.http.get(f"/inspections/{mine['payload']['id']}").status_code == 200
    listed = admin.http.get("/inspections", params={"institution_id": institution}).json()["items"]
    assert len(listed) == 1


async def test_a_new_version_waits_for_the_open_form(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Deployed while a form is open: the new worker waits, 更新 is offered but refused while the form holds
    input (the page is not reloaded), and after 保存 it reloads into the new version with the outbox intact."""
    folder = tmp_path_factory.mktemp("field-update")
    seed(folder)
    port = free_port()
    async with phone(browser) as (_, page):
        with serve_at(folder, port, FIELD_RELEASE="r1") as base_url:
            admin = Admin(base_url)
            crew = admin.crew()
            name = "光荣院己" + crew.own[:4]
            admin.institution(name)
            admin.close()
            await sign_in(page, base_url, crew.username)
            old = await page.locator("html").get_attribute("data-shell-version")
            await page.get_by_label("检查情况").fill("部署时尚未保存的表单")
        with serve_at(folder, port, FIELD_RELEASE="r2") as base_url:
            async with httpx.AsyncClient() as http:
                shell = (await http.get(f"{base_url}/field/")).text
            new = shell.split('data-shell-version="')[1].split('"')[0]
            assert new != old
            await page.evaluate("navigator.serviceWorker.getRegistration('/field/').then((r) => r.update())")
            await page.locator("#update").wait_for(state="visible")
            await page.get_by_role("button", name="更新").click()
            assert await page.locator("#update-msg").inner_text() == "请先保存当前表单再更新"
            await _shot(page, "update-offered")
            assert await page.get_by_label("检查情况").input_value() == "部署时尚未保存的表单"
            assert await page.locator("html").get_attribute("data-shell-version") == old

            await record(page, crew, name, "部署时尚未保存的表单")
            await _until_count(page, "0", 60_000)
            async with page.expect_navigation():
                await page.get_by_role("button", name="更新").click()
            await page.locator("#main").wait_for(state="visible")
            assert await page.locator("html").get_attribute("data-shell-version") == new
            assert [i["state"] for i in await outbox(page)] == ["synced"]
