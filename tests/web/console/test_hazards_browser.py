"""隐患台账 and the hazard detail in a real browser (Debian's Chromium through Playwright) against a real `serve`
holding the seed-demo data: a viewer of 500240 signs in, pages on, filters, downloads both ledgers (checked
against the API's own export for the same filters), opens a hazard with a photo and a PDF, and sees no write
control; no request to another origin, no CSP violation. Screenshots go to tests/web/screenshots/.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.async_api import Browser, Page

from app.demo import DEMO_ADMIN
from app.exports.service import HEADINGS
from tests.exports.test_ledger import parse_csv
from tests.web.console.test_console_browser import PASSWORD
from tests.web.console.test_console_browser import base_url as demo_server  # noqa: F401 (the fixture)
from tests.web.console.test_console_browser import browser as chromium  # noqa: F401 (the fixture)
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
VIEWER_PASSWORD = "viewer-demo-password"
WRITE_LABELS = ("开始整改", "整改完成", "验收销号", "退回整改", "作废", "确定")


def photo_png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG (an orange square with a blue band), so the browser draws it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(b"\x0b\x3d\x91" if 16 <= y < 32 else b"\xf0\xa5\x00" for _ in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _prepare(base_url: str) -> tuple[str, str, dict[str, str]]:
    """A viewer of 500240 and a demo hazard with a photo and a PDF; (viewer name, hazard id, admin headers)."""
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as api:
        r = api.post("/auth/token", data={"username": DEMO_ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        viewer = f"viewer-{uuid.uuid4().hex[:6]}"
        body = {"username": viewer, "password": VIEWER_PASSWORD, "role": "viewer", "region_code": "500240"}
        assert api.post("/users", json=body, headers=headers).status_code == 201
        hazard = api.get("/hazards", params={"limit": 1}, headers=headers).json()["items"][0]["id"]
        for name, content in (
            ("整改照片.png", photo_png()),
            ("整改报告.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        ):
            r = api.post(f"/hazards/{hazard}/evidence", files={"file": (name, content)}, headers=headers)
            assert r.status_code in (200, 201), r.text
    return viewer, hazard, headers


def _api_ledger(
    base_url: str, headers: dict[str, str], params: dict[str, str]
) -> tuple[list[str], list[dict[str, str]]]:
    """The API's hazard ids and CSV ledger for these filters (as the admin, over the whole county)."""
    with httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=60) as api:
        ids = [h["id"] for h in api.get("/hazards", params={**params, "limit": 500}).json()["items"]]
        return ids, parse_csv(api.get("/exports/hazards.csv", params=params).content)


async def _rows(page: Page) -> list[str]:
    return [str(await row.get_attribute("data-id")) for row in await page.locator("table.ledger tbody tr").all()]


async def _download(page: Page, label: str, folder: Path) -> bytes:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=label).click()
    download = await info.value
    target = folder / download.suggested_filename
    await download.save_as(target)
    return target.read_bytes()


async def test_the_ledger_and_a_hazard_in_the_browser(
    chromium: Browser,  # noqa: F811
    demo_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    base_url = demo_server
    viewer, hazard_id, admin_headers = _prepare(base_url)
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await chromium.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN")
    page.set_default_timeout(30_000)
    seen = watch(page)

    await page.goto(f"{base_url}/console/hazards")
    assert page.url.startswith(f"{base_url}/console/login?next=")
    await page.get_by_label("用户名").fill(viewer)
    await page.get_by_label("密码").fill(VIEWER_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{base_url}/console/hazards")
    first = await _rows(page)
    assert len(first) == 50  # the seed has more than a page of hazards
    await page.screenshot(path=str(SCREENSHOTS / "console-hazards.png"), full_page=True)

    await page.get_by_role("link", name="下一页").click()
    await page.wait_for_url(f"{base_url}/console/hazards?cursor=*")
    second = await _rows(page)
    assert second and not set(second) & set(first)

    await page.get_by_role("link", name="清除条件").click()
    await page.get_by_label("机构类型").select_option(label="养老机构")
    await page.get_by_label("等级").select_option(label="重大")
    await page.get_by_label("发现日期(起)").fill("2023-01-01")
    await page.get_by_label("发现日期(止)").fill("2023-12-31")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url(lambda url: "severity=major" in url and "found_to=2023-12-31" in url)
    filtered = await _rows(page)
    params = {"severity": "major", "kind": "elderly_care", "found_from": "2023-01-01", "found_to": "2023-12-31"}
    expected, api_csv = _api_ledger(base_url, admin_headers, params)
    assert filtered == expected[:50] and filtered
    cells = await page.locator("table.ledger tbody tr td:nth-child(6)").all_inner_texts()
    assert set(cells) == {"重大"}
    await page.screenshot(path=str(SCREENSHOTS / "console-hazards-filtered.png"), full_page=True)

    rows = parse_csv(await _download(page, "导出CSV", tmp_path))
    assert list(rows[0]) == list(HEADINGS) and rows == api_csv and len(rows) == len(expected)
    assert {row["隐患等级"] for row in rows} == {"重大"} and {row["机构类型"] for row in rows} == {"养老机构"}
    workbook = openpyxl.load_workbook(io.BytesIO(await _download(page, "导出Excel", tmp_path)))
    sheet = workbook["隐患台账"]
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[1]) == list(HEADINGS)
    assert len([r for r in table[2:] if r[0] is not None]) == len(expected)

    # The keyboard alone: from 逾期, Tab reaches 查询 and Enter applies the filters.
    await page.get_by_label("逾期").select_option(label="否")
    await page.get_by_label("逾期").focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "查询"
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda url: "overdue=false" in url and "severity=major" in url)
    assert await _rows(page) == filtered  # none of 2023's major hazards is overdue

    await page.goto(f"{base_url}/console/hazards?found_from=2023-5-4&status=closed")
    await page.get_by_text("请填写有效日期").wait_for()
    await page.get_by_text("状态无效,请从列表中选择").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-hazards-bad-input.png"), full_page=True)

    await page.goto(f"{base_url}/console/hazards/{hazard_id}")
    image = page.get_by_role("img", name="证据照片:整改照片.png")
    await image.wait_for()
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 64
    assert await page.get_by_role("link", name="整改报告.pdf").count() == 1
    assert await page.locator("table.history tbody tr").count() >= 1
    for label in WRITE_LABELS:
        assert await page.get_by_role("button", name=label).count() == 0, label
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-detail.png"), full_page=True)

    await page.goto(f"{base_url}/console/hazards/{uuid.uuid4()}")
    await page.get_by_text("未找到该隐患").wait_for()

    await page.set_viewport_size({"width": 768, "height": 1000})
    await page.goto(f"{base_url}/console/hazards")
    await page.screenshot(path=str(SCREENSHOTS / "console-hazards-768.png"))
    await page.goto(f"{base_url}/console/hazards/{hazard_id}")
    await page.screenshot(path=str(SCREENSHOTS / "console-hazard-detail-768.png"), full_page=True)

    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == [] and seen.csp_violations == []
    unexpected = [e for e in seen.errors if not ("422" in e or "404" in e)]  # the bad input and the unknown id
    assert unexpected == []
