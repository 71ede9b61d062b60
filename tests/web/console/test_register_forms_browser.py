"""Creating and editing the registers in a real browser (Debian's Chromium through Playwright) against a real
`serve` holding the seed-demo data: 新建机构 with a wrong credit code shown beside 统一社会信用代码, corrected and
saved, then 编辑; 新增执法人员 and a training (培训) recorded on the officer's page. No CSP violation, no request
to another origin. Screenshots go to tests/web/screenshots/ (not committed)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser

from app.institutions.schemas import credit_code_check_char
from tests.web.console.test_console_browser import PASSWORD, _sign_in, base_url, browser
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
__all__ = ["base_url", "browser"]
UUID = r"[0-9a-f-]{36}"
FIRST17 = "91500240987650001"
GOOD_CODE = FIRST17 + credit_code_check_char(FIRST17)
BAD_CODE = FIRST17 + ("0" if GOOD_CODE[-1] != "0" else "1")


async def test_create_and_edit_an_institution_and_an_officer_with_a_training(browser: Browser, base_url: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    seen = watch(page)
    await page.goto(f"{base_url}/console/institutions")
    await _sign_in(page, PASSWORD)
    await page.wait_for_url(f"{base_url}/console/institutions")

    # 新建机构: a wrong check character is shown beside 统一社会信用代码, what was typed stays.
    await page.get_by_role("link", name="新建机构").click()
    await page.wait_for_url(f"{base_url}/console/institutions/new")
    await page.get_by_label("机构名称").fill("石柱县桥头镇敬老院")
    await page.get_by_label("机构类型").select_option(label="养老机构")
    await page.get_by_label("类别").fill("敬老院")
    await page.get_by_label("行政区划代码").fill("500240")
    await page.get_by_label("乡镇/街道").fill("桥头镇")
    await page.get_by_label("统一社会信用代码").fill(BAD_CODE)
    await page.get_by_label("床位数").fill("60")
    await page.get_by_label("经营性质").select_option(label="公办")
    await page.get_by_role("button", name="保存").click()
    message = page.locator("#credit_code-error")
    await message.wait_for()
    assert await message.inner_text() == "统一社会信用代码校验位不符,请核对后重新填写"
    code = page.get_by_label("统一社会信用代码")
    assert await code.get_attribute("aria-describedby") == "credit_code-error"
    assert await code.input_value() == BAD_CODE
    assert await page.get_by_label("机构名称").input_value() == "石柱县桥头镇敬老院"
    await page.screenshot(path=str(SCREENSHOTS / "console-institution-new-bad-credit-code.png"), full_page=True)

    await code.fill(GOOD_CODE)
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(re.compile(rf"{base_url}/console/institutions/{UUID}$"))
    await page.get_by_role("heading", name="石柱县桥头镇敬老院").wait_for()
    assert GOOD_CODE in await page.locator("dl.record").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "console-institution-created.png"), full_page=True)

    # 编辑: the form holds the record; the change is saved.
    await page.get_by_role("link", name="编辑").click()
    await page.wait_for_url(re.compile(rf".*/console/institutions/{UUID}/edit$"))
    assert await page.get_by_label("床位数").input_value() == "60"
    await page.get_by_label("床位数").fill("80")
    await page.get_by_label("联系人").fill("马红")
    await page.screenshot(path=str(SCREENSHOTS / "console-institution-edit.png"), full_page=True)
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(re.compile(rf"{base_url}/console/institutions/{UUID}$"))
    record = await page.locator("dl.record").inner_text()
    assert "80" in record and "马红" in record

    # 新增执法人员, then a training on the officer's page.
    await page.get_by_role("link", name="执法人员", exact=True).click()
    await page.get_by_role("link", name="新增执法人员").click()
    await page.wait_for_url(f"{base_url}/console/officers/new")
    await page.get_by_label("姓名").fill("向晓东")
    await page.get_by_label("所在单位").fill("社会福利中心")
    await page.get_by_label("行政区划代码").fill("500240")
    await page.get_by_label("执法证号").fill("渝执法500240777")
    await page.get_by_label("发证日期").fill("2022-03-01")
    await page.get_by_label("有效期至").fill("2028-02-29")
    await page.get_by_label("证件状态").select_option(label="有效")
    await page.screenshot(path=str(SCREENSHOTS / "console-officer-new.png"), full_page=True)
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(re.compile(rf"{base_url}/console/officers/{UUID}$"))
    await page.get_by_role("heading", name="向晓东").wait_for()
    assert await page.locator('[data-certified="true"]').inner_text() == "是"

    await page.get_by_label("培训日期").fill("2023-04-12")
    await page.get_by_label("培训内容").fill("《行政处罚法》专题培训")
    await page.get_by_label("学时").fill("4")
    await page.get_by_role("button", name="登记培训").click()
    await page.wait_for_url(re.compile(rf".*/console/officers/{UUID}#training$"))
    row = page.locator("#training + table tbody tr[data-id]")
    assert await row.count() == 1
    assert "《行政处罚法》专题培训" in await row.inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "console-officer-training.png"), full_page=True)

    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == [] and seen.csp_violations == []
    failed = [e for e in seen.errors if not (e.startswith("Failed to load resource") and "422" in e)]
    assert failed == []
