"""The console in a real browser (Debian's Chromium through Playwright) against a real `serve` holding the
seed-demo data: sign in (a wrong password first), the 2023 figures per kind on 总览, its charts drawn, a bad
year, 1280 and 768 px, sign out; a user of another county sees nothing of 500240; a viewer sees no write
control; no request to another origin and no CSP violation. Screenshots go to tests/web/screenshots/ (not
committed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from app.demo import DEMO_ADMIN
from tests.serving import seed_demo, serve
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PASSWORD = "console-demo-password"
# The seed's 2023 figures (README, the annual paragraph): inspected, inspections, found, rectified, rate.
EXPECTED = {
    "funeral": ("8", "56", "32", "32", "100%"),
    "elderly_care": ("27", "111", "141", "141", "100%"),
}
METRICS = ("institutions_inspected", "inspections", "hazards_found", "hazards_rectified", "rectification_rate")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("console-server")
    seed_demo(folder, PASSWORD)
    with serve(folder) as base:
        yield base


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _sign_in(page: Page, password: str, username: str = DEMO_ADMIN) -> None:
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()


async def test_sign_in_and_read_the_2023_figures(browser: Browser, base_url: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    seen = watch(page)

    await page.goto(f"{base_url}/")  # → /console/ → the sign-in page
    assert page.url.startswith(f"{base_url}/console/login?next=")
    await _sign_in(page, "not-the-password")
    await page.get_by_text("用户名或密码错误").wait_for()
    assert page.url == f"{base_url}/console/login"
    await page.screenshot(path=str(SCREENSHOTS / "console-login-wrong-password.png"))

    await _sign_in(page, PASSWORD)
    await page.wait_for_url(f"{base_url}/console/")
    await page.get_by_label("年度").fill("2023")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url(f"{base_url}/console/?year=2023&*")
    for kind, figures in EXPECTED.items():
        for metric, expected in zip(METRICS, figures, strict=True):
            cell = page.locator(f'[data-metric="{metric}"][data-kind="{kind}"]:not([data-group])')
            assert (await cell.inner_text()).strip() == expected, (kind, metric)
    assert (await page.locator('[data-metric="officers_certified"]').inner_text()).strip() == "17"
    await _charts_drawn(page)
    await page.screenshot(path=str(SCREENSHOTS / "console-overview-2023.png"), full_page=True)
    # Keyboard: Tab from the top reaches the first navigation link, and the focused element shows an outline.
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        "() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["总览", "solid"]

    await page.get_by_label("年度").fill("二〇二三")
    await page.get_by_role("button", name="查询").click()
    await page.get_by_text("年度应为").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-overview-bad-year.png"))

    await page.set_viewport_size({"width": 768, "height": 1000})
    await page.goto(f"{base_url}/console/?year=2023")
    await _charts_drawn(page)
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 768  # no sideways scrolling
    await page.screenshot(path=str(SCREENSHOTS / "console-overview-768.png"), full_page=True)

    await page.get_by_role("button", name="退出").click()  # a real same-origin form POST passes the CSRF checks
    await page.wait_for_url(f"{base_url}/console/login")
    await page.goto(f"{base_url}/console/?year=2023")
    assert page.url.startswith(f"{base_url}/console/login?next=")

    assert seen.foreign(base_url) == []
    assert f"{base_url}/console/static/vendor/echarts-6.1.0/echarts.common.min.js" in seen.requests
    assert all(url.startswith(f"{base_url}/") for url in seen.requests)  # every request: this server
    assert seen.blocked_by_csp == [] and seen.csp_violations == []
    # The wrong password (401) and the bad year (422) are answers the page shows; nothing else failed.
    failed = [e for e in seen.errors if not e.startswith("Failed to load resource")] + [
        e for e in seen.errors if e.startswith("Failed to load resource") and not ("401" in e or "422" in e)
    ]
    assert failed == []


async def _charts_drawn(page: Page) -> None:
    """Each of the four charts holds a canvas (or svg) of non-zero size drawn by ECharts."""
    for key in ("month", "township", "category", "severity"):
        drawn = page.locator(f'[data-chart="{key}"] canvas, [data-chart="{key}"] svg').first
        await drawn.wait_for()
        box = await drawn.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, (key, box)


async def _new_user(base_url: str, username: str, role: str, region_code: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as api:
        r = await api.post("/api/v1/auth/token", data={"username": DEMO_ADMIN, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {"username": username, "password": PASSWORD, "role": role, "region_code": region_code}
        r = await api.post("/api/v1/users", json=body, headers=headers)
        assert r.status_code == 201, r.text


async def test_another_county_sees_nothing_of_500240(browser: Browser, base_url: str) -> None:
    await _new_user(base_url, "other-county", "supervisor", "110101")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page)
    await page.goto(f"{base_url}/console/login")
    await _sign_in(page, PASSWORD, "other-county")
    await page.wait_for_url(f"{base_url}/console/")
    await page.goto(f"{base_url}/console/?year=2023")
    for kind in EXPECTED:
        for metric in ("institutions_inspected", "inspections", "hazards_found"):
            cell = page.locator(f'[data-metric="{metric}"][data-kind="{kind}"]:not([data-group])')
            assert (await cell.inner_text()).strip() == "0", (kind, metric)
    assert (await page.locator('[data-metric="officers_certified"]').inner_text()).strip() == "0"
    body = await page.locator("main").inner_text()
    assert "中益乡" not in body and "南宾街道" not in body  # no township of Shizhu
    assert await page.locator("canvas").count() == 0  # nothing to chart
    await page.get_by_label("行政区划代码").fill("500240")
    await page.get_by_role("button", name="查询").click()
    await page.get_by_text("不在您的辖区").wait_for()
    assert await page.locator("[data-metric]").count() == 0
    await page.screenshot(path=str(SCREENSHOTS / "console-overview-other-county.png"), full_page=True)
    assert seen.foreign(base_url) == []


async def test_a_viewer_sees_no_write_control(browser: Browser, base_url: str) -> None:
    await _new_user(base_url, "county-viewer", "viewer", "500240")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page)
    await page.goto(f"{base_url}/console/login")
    await _sign_in(page, PASSWORD, "county-viewer")
    await page.wait_for_url(f"{base_url}/console/")
    await page.goto(f"{base_url}/console/?year=2023")
    cell = page.locator('[data-metric="hazards_found"][data-kind="elderly_care"]:not([data-group])')
    assert (await cell.inner_text()).strip() == "141"
    buttons = sorted([(await b.inner_text()).strip() for b in await page.locator("button").all()])
    assert buttons == ["查询", "退出"]  # the filter and signing out; nothing that changes a record
    posts = await page.locator('form[method="post"]').evaluate_all("fs => fs.map(f => f.getAttribute('action'))")
    assert posts == ["/console/logout"]
    assert seen.foreign(base_url) == [] and seen.csp_violations == []
