"""The registers, plans and the annual report in a real browser (Debian's Chromium through Playwright) against a
real `serve` holding the seed-demo data (plus a plan and a draw made through the API): list → detail for 检查记录,
机构, 执法人员 and 检查计划, the annual paragraph exactly as the API gives it, and 下载Word downloading the DOCX;
no request to another origin and no CSP violation. Screenshots go to tests/web/screenshots/ (not committed).
"""

from __future__ import annotations

import io
import zipfile

import anyio
import httpx
import pytest
from docx import Document
from playwright.async_api import Browser, Page

from tests.web.console.test_console_browser import PASSWORD, _sign_in, base_url, browser
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
__all__ = ["base_url", "browser"]  # the fixtures, shared with the console's own browser test
PLAN_NAME = "2023年全县民政机构常规检查计划"


def _make_plan_and_draw(base: str) -> dict[str, str]:
    """Through the API, as the demo admin: a 2023 plan over the county and one draw of three institutions."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api:
        r = api.post("/auth/token", data={"username": "demo-admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {
            "year": 2023,
            "name": PLAN_NAME,
            "kinds": ["funeral", "elderly_care"],
            "region_code": "500240",
            "type": "routine",
            "period_from": "2023-01-01",
            "period_to": "2023-12-31",
        }
        plan = api.post("/plans", json=body, headers=headers)
        assert plan.status_code == 201, plan.text
        draw = api.post(
            f"/plans/{plan.json()['id']}/draws", json={"planned_on": "2023-06-01", "count": 3}, headers=headers
        )
        assert draw.status_code == 201, draw.text
        annual = api.get("/reports/annual", params={"year": 2023}, headers=headers)
        return {"plan_id": plan.json()["id"], "annual": annual.text}


async def _open_first_row(page: Page) -> str:
    """Click the link in the first row of the list; returns the row's data-id."""
    row = page.locator("tbody tr[data-id]").first
    ident = await row.get_attribute("data-id")
    assert ident
    await row.locator("a").first.click()
    return ident


async def test_registers_plans_and_the_annual_report(browser: Browser, base_url: str) -> None:
    made = _make_plan_and_draw(base_url)
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.set_default_timeout(30_000)
    seen = watch(page)
    await page.goto(f"{base_url}/console/inspections")
    await _sign_in(page, PASSWORD)
    await page.wait_for_url(f"{base_url}/console/inspections")

    # 检查记录: the list (newest first, 50 a page, 下一页), a filter, a record.
    assert await page.locator("tbody tr[data-id]").count() == 50
    await page.screenshot(path=str(SCREENSHOTS / "console-inspections.png"), full_page=True)
    await page.get_by_role("link", name="下一页").click()
    await page.wait_for_url("**/console/inspections?cursor=*")
    assert await page.locator("tbody tr[data-id]").count() == 50
    await page.get_by_label("机构类型").select_option(label="殡葬机构")
    await page.get_by_label("检查日期(起)").fill("2023-07-01")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url("**/console/inspections?kind=funeral*")
    for text in await page.locator("tbody tr td:nth-child(3)").all_inner_texts():
        assert text == "殡葬机构"
    for text in await page.locator("tbody tr td:nth-child(1)").all_inner_texts():
        assert text >= "2023-07-01"
    ident = await _open_first_row(page)
    await page.wait_for_url(f"{base_url}/console/inspections/{ident}")
    await page.get_by_role("heading", name="执法人员").wait_for()
    assert await page.locator("h2 + table tbody tr[data-id]").first.is_visible()
    await page.screenshot(path=str(SCREENSHOTS / "console-inspection.png"), full_page=True)

    # 机构: list → detail.
    await page.get_by_role("link", name="机构", exact=True).click()
    await page.wait_for_url(f"{base_url}/console/institutions")
    await page.get_by_label("机构类型").select_option(label="殡葬机构")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url("**/console/institutions?*kind=funeral*")
    assert await page.locator("tbody tr[data-id]").count() == 8  # the seed's eight funeral institutions
    await page.screenshot(path=str(SCREENSHOTS / "console-institutions.png"), full_page=True)
    ident = await _open_first_row(page)
    await page.wait_for_url(f"{base_url}/console/institutions/{ident}")
    await page.get_by_role("heading", name="最近的检查").wait_for()
    assert await page.locator("tbody tr[data-id]").count() >= 1
    await page.screenshot(path=str(SCREENSHOTS / "console-institution.png"), full_page=True)

    # 执法人员: list → detail with the certificate.
    await page.get_by_role("link", name="执法人员", exact=True).click()
    await page.wait_for_url(f"{base_url}/console/officers")
    assert await page.locator("tbody tr[data-id]").count() >= 17
    await page.screenshot(path=str(SCREENSHOTS / "console-officers.png"), full_page=True)
    ident = await _open_first_row(page)
    await page.wait_for_url(f"{base_url}/console/officers/{ident}")
    await page.locator("dl.record").get_by_text("执法证号").wait_for()  # the record, not the 证件变更 form
    await page.get_by_role("heading", name="执法培训").wait_for()
    await page.get_by_role("heading", name="回避").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-officer.png"), full_page=True)

    # 检查计划: the plan with its coverage → its draw, verified.
    await page.get_by_role("link", name="检查计划").click()
    await page.wait_for_url(f"{base_url}/console/plans")
    row = page.locator(f'tr[data-id="{made["plan_id"]}"]')
    assert PLAN_NAME in await row.inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "console-plans.png"), full_page=True)
    await row.get_by_role("link", name=PLAN_NAME).click()
    await page.wait_for_url(f"{base_url}/console/plans/{made['plan_id']}")
    assert await page.locator('[data-verified="true"]').inner_text() == "验证通过"
    assert await page.locator("section.draw tbody tr[data-id]").count() == 3
    await page.screenshot(path=str(SCREENSHOTS / "console-plan.png"), full_page=True)

    # 年度报告: the paragraph exactly as the API gives it, and 下载Word.
    await page.get_by_role("link", name="年度报告").click()
    await page.get_by_label("年度").fill("2023")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url(f"{base_url}/console/reports/annual?year=2023")
    shown = await page.locator("[data-annual]").inner_text()
    assert shown.strip() == made["annual"].strip()
    assert "殡葬机构8家,累计检查56次,排查出问题32起,整改32起,整改率100%" in shown
    await page.screenshot(path=str(SCREENSHOTS / "console-annual-2023.png"), full_page=True)
    async with page.expect_download() as info:
        await page.get_by_role("link", name="下载Word").click()
    download = await info.value
    assert download.suggested_filename == "2023年民政执法检查情况.docx"
    content = await anyio.Path(await download.path()).read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(content))
    paragraphs = [p.text for p in Document(io.BytesIO(content)).paragraphs]
    assert any("殡葬机构8家" in p for p in paragraphs)

    await page.get_by_label("年度").fill("二〇二三")
    await page.get_by_role("button", name="查询").click()
    await page.get_by_text("年度应为").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-annual-bad-year.png"))

    await page.set_viewport_size({"width": 768, "height": 1000})
    await page.goto(f"{base_url}/console/inspections")
    await page.screenshot(path=str(SCREENSHOTS / "console-inspections-768.png"), full_page=True)
    await page.goto(f"{base_url}/console/plans/{made['plan_id']}")
    await page.screenshot(path=str(SCREENSHOTS / "console-plan-768.png"), full_page=True)

    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == [] and seen.csp_violations == []
    failed = [e for e in seen.errors if not (e.startswith("Failed to load resource") and "422" in e)]
    assert failed == []
