"""The desk forms in a real browser (Debian's Chromium through Playwright) against a real `serve` holding the
seed-demo data: a supervisor of 500240 records an inspection through 新建检查 — a hazard without 描述 first (the
message beside 描述, 422, nothing lost), 添加隐患 for a second one, then 保存 — and finds it on its page; then makes
a plan through 制定计划 and draws from it, the draw shown 验证通过. No request to another origin, no CSP violation.
Screenshots go to tests/web/screenshots/ (console-inspection-new-*.png, console-plan-*.png).
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page

from app.demo import DEMO_ADMIN
from tests.web.console.test_console_browser import PASSWORD
from tests.web.console.test_console_browser import base_url as demo_server  # noqa: F401 (the fixture)
from tests.web.console.test_console_browser import browser as chromium  # noqa: F401 (the fixture)
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
SUPERVISOR_PASSWORD = "supervisor-demo-password"


def _supervisor(base_url: str) -> tuple[str, dict[str, str]]:
    """A supervisor of 500240 made through the API; (its username, the demo admin's headers)."""
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as api:
        r = api.post("/auth/token", data={"username": DEMO_ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        name = f"supervisor-{uuid.uuid4().hex[:6]}"
        body = {"username": name, "password": SUPERVISOR_PASSWORD, "role": "supervisor", "region_code": "500240"}
        assert api.post("/users", json=body, headers=headers).status_code == 201
    return name, headers


async def _sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/console/inspections")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(SUPERVISOR_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{base_url}/console/inspections")


async def _record_an_inspection(page: Page, base_url: str, headers: dict[str, str]) -> None:
    await page.get_by_role("link", name="新建检查").click()
    await page.wait_for_url(f"{base_url}/console/inspections/new")
    await page.get_by_label("检查日期").fill("2023-05-04")
    await page.get_by_role("button", name="添加隐患").click()  # also shows the certificates on 2023-05-04
    await page.locator('fieldset[data-hazard="1"]').wait_for()
    institution = page.get_by_label("机构", exact=True)
    await institution.select_option(index=1)
    chosen = await institution.input_value()
    certified = page.locator('.officer-list li:has([data-certified="true"]) input[type="checkbox"]')
    officers = [str(await certified.nth(i).get_attribute("value")) for i in range(2)]
    for i in range(2):
        await certified.nth(i).check()
    await page.get_by_label("检查情况").fill("检查消防设施、食品安全台账(办公端补录)")
    first = page.locator('fieldset[data-hazard="0"]')
    await first.get_by_label("类别").select_option(label="消防安全")
    await first.get_by_label("等级").select_option(label="重大")
    await first.get_by_label("整改期限").fill("2023-05-20")
    second = page.locator('fieldset[data-hazard="1"]')
    await second.get_by_label("类别").select_option(label="食品安全")
    await second.get_by_label("等级").select_option(label="一般")
    await second.get_by_label("描述").fill("食品留样记录缺失")
    await page.get_by_role("button", name="保存").click()

    message = page.locator('[id="hazards.0.description-error"]')
    await message.wait_for()
    assert await message.inner_text() == "请填写描述"
    described = page.locator('[id="f-hazards.0.description"]')
    assert await described.get_attribute("aria-describedby") == "hazards.0.description-error"
    assert await page.get_by_label("检查情况").input_value() == "检查消防设施、食品安全台账(办公端补录)"
    assert await page.locator('fieldset[data-hazard="1"]').get_by_label("描述").input_value() == "食品留样记录缺失"
    await page.screenshot(path=str(SCREENSHOTS / "console-inspection-new-422.png"), full_page=True)

    await described.fill("消防通道堆放杂物")
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(re.compile(r".*/console/inspections/[0-9a-f-]{36}$"))
    inspection_id = page.url.rsplit("/", 1)[1]
    await page.get_by_text("消防通道堆放杂物").wait_for()
    await page.get_by_text("食品留样记录缺失").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-inspection-new-saved.png"), full_page=True)
    async with httpx.AsyncClient(base_url=f"{base_url}/api/v1", headers=headers, timeout=30) as api:
        record = (await api.get(f"/inspections/{inspection_id}")).json()
    assert record["institution_id"] == chosen and record["officer_ids"] == officers
    assert [(h["category"], h["severity"], h["description"]) for h in record["hazards"]] == [
        ("fire_safety", "major", "消防通道堆放杂物"),
        ("food", "general", "食品留样记录缺失"),
    ]


async def _make_and_draw_a_plan(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/console/plans")
    await page.get_by_role("link", name="制定计划").click()
    await page.wait_for_url(f"{base_url}/console/plans/new")
    await page.get_by_label("计划名称").fill("2023年养老机构双随机检查计划(办公端)")
    await page.get_by_label("年度").fill("2023")
    await page.get_by_label("养老机构").check()
    await page.get_by_label("计划开始日期").fill("2023-01-01")
    await page.get_by_label("计划结束日期").fill("2022-12-31")
    await page.get_by_role("button", name="保存").click()
    await page.locator('[id="period_to-error"]').wait_for()
    assert await page.locator('[id="period_to-error"]').inner_text() == "计划结束日期不能早于开始日期"
    await page.screenshot(path=str(SCREENSHOTS / "console-plan-new-422.png"), full_page=True)
    await page.get_by_label("计划结束日期").fill("2023-12-31")
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(re.compile(r".*/console/plans/[0-9a-f-]{36}$"))
    await page.get_by_text("该计划尚未随机抽取").wait_for()

    await page.get_by_label("计划检查日期").fill("2023-06-01")
    await page.get_by_label("抽取数量").fill("3")
    await page.get_by_role("button", name="抽取", exact=True).click()
    await page.wait_for_url(re.compile(r".*/console/plans/[0-9a-f-]{36}#draw-[0-9a-f-]{36}$"))
    await page.locator('[data-verified="true"]').wait_for()
    assert await page.locator("section.draw table.list tbody tr").count() == 3
    assert await page.get_by_role("button", name="重新抽取").count() == 1
    await page.screenshot(path=str(SCREENSHOTS / "console-plan-drawn.png"), full_page=True)


async def test_a_desk_inspection_and_a_drawn_plan(
    chromium: Browser,  # noqa: F811
    demo_server: str,  # noqa: F811
) -> None:
    base_url = demo_server
    username, headers = _supervisor(base_url)
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.set_default_timeout(30_000)
    seen = watch(page)
    await _sign_in(page, base_url, username)
    await _record_an_inspection(page, base_url, headers)
    await _make_and_draw_a_plan(page, base_url)
    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == [] and seen.csp_violations == []
    assert [e for e in seen.errors if "422" not in e] == []  # the two forms refused once each
