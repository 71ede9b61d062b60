"""系统管理 in a real browser (Debian's Chromium through Playwright) against a real `serve` with its own webhook
worker: an admin of 500240 follows the 系统管理 link, creates a user (a too-short password first, shown beside
the field), creates a webhook (its secret shown once), sends a test that the receiver refuses (500), sees the
failed delivery with its last error, and retries it from the page until it is delivered. Every request goes to
the server, and no CSP violation. Screenshots: console-admin-*.png under tests/web/screenshots/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page

from app.core.config import Settings
from tests.events.webhooks.receiver import Receiver, receiver
from tests.serving import ROOT, serve
from tests.web.console.test_console_browser import browser
from tests.web.test_docs_browser import CHROMIUM, SCREENSHOTS, watch

__all__ = ["browser", "receiver"]  # fixtures
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
ADMIN = "county.admin"
PASSWORD = "admin-browser-password"


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh `serve` with one admin of 500240; webhooks may go to the loopback receiver, are not retried on
    their own, and its worker looks for due deliveries every 0.2 s."""
    folder = tmp_path_factory.mktemp("admin-server")
    env = {"DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    base_env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    subprocess.run(  # noqa: S603 (our own CLI)
        [
            sys.executable,
            "-m",
            "app.cli",
            "create-user",
            ADMIN,
            "--role",
            "admin",
            "--region-code",
            "500240",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        cwd=folder,
        env=base_env | env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    settings = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_RETRY_SCHEDULE": "", "WEBHOOK_POLL_SECONDS": "0.2"}
    with serve(folder, **settings) as base:
        yield base


async def _reload_until(page: Page, selector: str, seconds: float = 30) -> None:
    """Reload the page until `selector` is on it (the worker delivers in the background)."""
    deadline = time.monotonic() + seconds
    while await page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} not shown after {seconds} s"
        await page.wait_for_timeout(300)
        await page.reload()


async def test_an_admin_creates_a_user_and_a_webhook_and_retries_a_failed_delivery(
    browser: Browser, server: str, receiver: Receiver
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    seen = watch(page)
    await page.goto(f"{server}/console/login")
    await page.get_by_label("用户名").fill(ADMIN)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{server}/console/")
    await page.get_by_role("link", name="系统管理").click()
    await page.wait_for_url(f"{server}/console/admin/users")

    await page.get_by_label("用户名").fill("zhao.liu")
    await page.get_by_label("密码").fill("short")
    await page.get_by_label("角色").select_option(label="执法人员")
    await page.get_by_label("行政区划代码").fill("500240101")
    await page.get_by_role("button", name="创建用户").click()
    await page.locator("#password-error").wait_for()
    assert await page.locator("#password-error").inner_text() == "密码至少8个字"
    assert await page.get_by_label("用户名").input_value() == "zhao.liu"  # what was typed stays
    await page.screenshot(path=str(SCREENSHOTS / "console-admin-user-bad-password.png"), full_page=True)
    await page.get_by_label("密码").fill("a long enough password")
    await page.get_by_role("button", name="创建用户").click()
    await page.wait_for_url(f"{server}/console/admin/users/*")
    assert "zhao.liu" in await page.locator("h1").inner_text()
    await page.get_by_role("link", name="用户", exact=True).click()
    await page.get_by_role("row").filter(has_text="zhao.liu").wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "console-admin-users.png"), full_page=True)

    await page.get_by_role("link", name="Webhook", exact=True).click()
    await page.get_by_label("网址").fill(receiver.url("/flaky"))  # 500 once, then 200
    await page.get_by_label("说明").fill("县局值班系统")
    await page.get_by_role("button", name="创建Webhook").click()
    secret = page.locator('[data-secret="webhook-secret"]')
    assert (await secret.input_value()).startswith("whsec_")
    await page.screenshot(path=str(SCREENSHOTS / "console-admin-webhook-created.png"), full_page=True)
    await page.get_by_role("link", name="查看该Webhook及投递记录").click()
    assert await page.locator('[data-secret="webhook-secret"]').count() == 0  # shown once only

    await page.get_by_role("button", name="发送测试").click()
    await _reload_until(page, 'tr[data-status="failed"]')
    row = page.locator('tr[data-status="failed"]')
    assert "500" in await row.inner_text() and "失败" in await row.inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "console-admin-delivery-failed.png"), full_page=True)
    await row.get_by_role("button", name="重试").click()
    await _reload_until(page, 'tr[data-status="delivered"]')
    assert "已送达" in await page.locator('tr[data-status="delivered"]').inner_text()
    assert len(receiver.on("/flaky")) == 2
    await page.screenshot(path=str(SCREENSHOTS / "console-admin-delivery-retried.png"), full_page=True)

    assert seen.csp_violations == [] and seen.blocked_by_csp == []
    assert [e for e in seen.errors if "status of 422" not in e] == []  # the refused password's page is a 422
    assert all(url.startswith(f"{server}/") for url in seen.requests)
