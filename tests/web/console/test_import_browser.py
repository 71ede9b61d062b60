"""批量导入 in a real browser (Debian's Chromium through Playwright) against a real `serve` holding the
seed-demo data: the admin uploads a register with a bad row (the preview shows 第3行 and the heading, no
确认导入), then the corrected file, confirms it, and finds the institutions in the register; no request to
another origin, no CSP violation. Screenshots go to tests/web/screenshots/.
"""

from __future__ import annotations

import secrets
import uuid

import pytest
from playwright.async_api import Browser, FilePayload

from app.institutions.schemas import CREDIT_CODE_CHARSET, credit_code_check_char
from tests.imports.helpers import INSTITUTION_HEADINGS, institution, xlsx
from tests.web.console.test_console_browser import PASSWORD, _sign_in
from tests.web.console.test_console_browser import base_url as demo_server  # noqa: F401 (the fixture)
from tests.web.console.test_console_browser import browser as chromium  # noqa: F401 (the fixture)
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _payload(data: bytes) -> FilePayload:
    return {"name": "机构名录.xlsx", "mimeType": XLSX, "buffer": data}


def fresh_credit_code() -> str:
    first17 = "91500240" + "".join(secrets.choice(CREDIT_CODE_CHARSET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


async def test_a_bad_row_then_a_good_file_confirmed(chromium: Browser, demo_server: str) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(exist_ok=True)
    base_url = demo_server
    tag = uuid.uuid4().hex[:6]
    codes = [fresh_credit_code(), fresh_credit_code()]
    names = [f"导入测试敬老院{tag}", f"导入测试殡仪馆{tag}"]
    good_rows = [
        institution(names[0], codes[0]),
        institution(names[1], codes[1], 机构类型="殡葬机构", 类别="殡仪馆", 床位数=None, 经营性质="公办"),
    ]
    bad_rows = [
        good_rows[0],
        institution(names[1], codes[1][:-1] + "0" if codes[1][-1] != "0" else codes[1][:-1] + "1"),
    ]
    page = await chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    seen = watch(page)
    await page.goto(f"{base_url}/console/import")
    await _sign_in(page, PASSWORD)
    await page.wait_for_url(f"{base_url}/console/import")

    await page.get_by_label("导入类型").select_option(label="机构")
    await page.get_by_label("文件").set_input_files(files=[_payload(xlsx(INSTITUTION_HEADINGS, bad_rows))])
    await page.get_by_role("button", name="上传预览").click()
    error = page.locator('tr[data-row="3"] .row-error')
    await error.wait_for()
    assert (await error.inner_text()).startswith("第3行 统一社会信用代码:")
    assert await page.locator('tr[data-row="2"]').get_attribute("data-action") == "create"
    assert await page.get_by_role("button", name="确认导入").count() == 0
    await page.get_by_text("文件有错误,未导入任何数据").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-import-bad-row.png"), full_page=True)

    await page.get_by_label("文件").set_input_files(files=[_payload(xlsx(INSTITUTION_HEADINGS, good_rows))])
    await page.get_by_role("button", name="上传预览").click()
    await page.get_by_role("button", name="确认导入").wait_for()
    assert "新增 2 条" in await page.locator("[data-summary]").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "console-import-preview.png"), full_page=True)
    await page.get_by_role("button", name="确认导入").click()
    await page.locator("[data-import-done]").wait_for()
    assert await page.locator('[data-count="created"]').inner_text() == "2"
    await page.screenshot(path=str(SCREENSHOTS / "console-import-done.png"), full_page=True)

    await page.goto(f"{base_url}/console/institutions?q={names[0]}")
    await page.get_by_role("link", name=names[0]).wait_for()
    assert seen.foreign(base_url) == []
    assert seen.csp_violations == [] and seen.blocked_by_csp == []
