"""/docs and /redoc in a real browser (Debian's Chromium through Playwright) against a real `serve`: the pages
render the API from the package's own assets, make no request to any other origin, and break no CSP rule.

Screenshots go to tests/web/screenshots/ (not committed) for a person to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

from tests.serving import serve

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# ReDoc's sidebar shows its vendor's logo from their CDN: the page's CSP blocks exactly that (the one request
# that would leave the server), and ReDoc then leaves the logo out.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = [
    pytest.mark.slow,  # a browser and a served app: `make test-slow`, as the console's browser tests
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


@dataclass
class Watched:
    """What one page did: every request it made, CSP violations and script errors it reported."""

    requests: list[str] = field(default_factory=list)
    blocked_by_csp: list[str] = field(default_factory=list)  # stopped by the browser: never sent
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign(self, origin: str) -> list[str]:
        """Requests sent anywhere but the server's origin (data: and blob: URLs never leave the page)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in {"data", "blob"}
            and _origin(url) != origin
            and url not in self.blocked_by_csp
        ]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def watch(page: Page) -> Watched:
    seen = Watched()

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_failed(request: Request) -> None:
        if request.failure in {"csp", "net::ERR_BLOCKED_BY_CSP"}:  # Playwright's word for it, or Chromium's
            seen.blocked_by_csp.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.csp_violations.append(message.text)
        elif message.type == "error":
            seen.errors.append(message.text)

    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    return seen


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("docs-server")) as base:
        yield base


@pytest.fixture(scope="module")
def operations(base_url: str) -> list[tuple[str, str, str]]:
    """(method, path, summary) of every operation in the server's OpenAPI document."""
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    return [
        (method.upper(), path, op.get("summary", ""))
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _new_page(browser: Browser) -> Page:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    return page


async def test_swagger_ui_lists_every_operation_from_the_own_origin(
    browser: Browser, base_url: str, operations: list[tuple[str, str, str]]
) -> None:
    page = await _new_page(browser)
    seen = watch(page)
    await page.goto(f"{base_url}/docs", wait_until="networkidle")
    readiness = page.locator(".opblock-summary", has_text="Readiness (public)")
    await readiness.wait_for()
    assert await page.locator(".opblock").count() == len(operations) > 50
    assert await page.locator(".opblock-summary-path", has_text="/api/v1/reports/annual").count() == 1
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "docs.png"))

    # "Try it out" on /readyz: the page calls the API and shows its answer (connect-src 'self' at work).
    await readiness.click()
    await page.get_by_role("button", name="Try it out").click()
    await page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table .response .response-col_status")
    await status.first.wait_for()
    assert (await status.first.inner_text()).strip() == "200"
    await page.screenshot(path=str(SCREENSHOTS / "docs-try-it-out.png"), full_page=False)

    assert f"{base_url}/openapi.json" in seen.requests
    assert f"{base_url}/readyz" in seen.requests
    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == []
    assert seen.csp_violations == []
    assert seen.errors == []


async def test_redoc_renders_the_operations_from_the_own_origin(
    browser: Browser, base_url: str, operations: list[tuple[str, str, str]]
) -> None:
    page = await _new_page(browser)
    seen = watch(page)
    await page.goto(f"{base_url}/redoc", wait_until="networkidle")
    await page.locator("h2", has_text="Readiness (public)").wait_for()
    summaries = {summary for _, _, summary in operations}
    headings = set(await page.locator("h2").all_inner_texts())
    assert summaries <= headings, sorted(summaries - headings)
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "redoc.png"))

    # The search box works (its index runs in a worker the CSP admits).
    await page.get_by_placeholder("Search...").fill("Readiness")
    await page.locator("[data-role='search:results'] li", has_text="Readiness (public)").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "redoc-search.png"))

    assert f"{base_url}/openapi.json" in seen.requests
    assert seen.foreign(base_url) == []
    assert seen.blocked_by_csp == [REDOC_LOGO]
    assert [v for v in seen.csp_violations if f"Loading the image '{REDOC_LOGO}'" not in v] == []
    assert seen.errors == []
