"""Shared pieces of the field app's browser tests: a seeded server, the API calls that set up officers and
inspectors, a phone-sized browser context, and reads of the device's IndexedDB outbox."""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from app.demo import DEMO_ADMIN
from tests.serving import seed_demo

PASSWORD = "field-demo-password"
USER_PASSWORD = "field-inspector-password"
REGION = "500240"
PHONE = ViewportSize(width=360, height=740)


def seed(folder: Path) -> None:
    """The 2023 Shizhu data set (500240) in `folder`'s DATA_DIR, with the demo admin's password."""
    seed_demo(folder, PASSWORD)


@dataclass
class Crew:
    """An inspector (linked to officer `own`), a second certified officer and one whose certificate expired."""

    username: str
    own: str
    partner: str
    expired: str
    own_name: str
    partner_name: str
    expired_name: str


class Admin:
    """The demo admin talking to the API of a running server."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=30)
        r = self.http.post("/auth/token", data={"username": DEMO_ADMIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def officer(self, name: str, expires_on: str) -> str:
        body = {
            "name": name,
            "unit": "石柱县民政局",
            "region_code": REGION,
            "certificate_no": f"渝{uuid.uuid4().int % 10**8:08d}",
            "certificate_issued_on": "2020-01-01",
            "certificate_expires_on": expires_on,
        }
        r = self.http.post("/officers", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def crew(self) -> Crew:
        """Officers made for one test (names unique to it) and an inspector linked to the first."""
        tag = uuid.uuid4().hex[:4]
        names = (f"甲{tag}", f"乙{tag}", f"丙{tag}")
        own, partner = self.officer(names[0], "2030-12-31"), self.officer(names[1], "2030-12-31")
        expired = self.officer(names[2], "2024-06-30")
        username = f"inspector-{tag}"
        body = {
            "username": username,
            "password": USER_PASSWORD,
            "role": "inspector",
            "region_code": REGION,
            "officer_id": own,
        }
        r = self.http.post("/users", json=body)
        assert r.status_code == 201, r.text
        return Crew(username, own, partner, expired, *names)

    def institution(self, name: str) -> str:
        body = {"name": name, "kind": "elderly_care", "region_code": REGION}
        r = self.http.post("/institutions", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def close(self) -> None:
        self.http.close()


@asynccontextmanager
async def phone(browser: Browser) -> AsyncIterator[tuple[BrowserContext, Page]]:
    """A 360 × 740 touch context (a new device: its own IndexedDB and service worker) and a page in it."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        yield context, await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, base_url: str, username: str) -> None:
    """Open /field/, sign in, and wait until the worker controls the page and the offline copy is filled."""
    if not page.url.startswith(f"{base_url}/field/"):
        await page.goto(f"{base_url}/field/")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(USER_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.locator("#main").wait_for(state="visible")
    # functions, not expression strings: Playwright evals a string when it polls, which the page's CSP forbids
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.wait_for_function("() => document.querySelectorAll('#f-institution option').length > 1")


async def outbox(page: Page) -> list[dict[str, Any]]:
    """The device's outbox items (photos without their bytes)."""
    items: list[dict[str, Any]] = await page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("field");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const req = open.result.transaction("outbox").objectStore("outbox").getAll();
            const bare = (p) => ({id: p.id, hazard_id: p.hazard_id, uploaded: p.uploaded, size: p.blob.size});
            req.onsuccess = () => resolve(req.result.map((i) => ({...i, photos: i.photos.map(bare)})));
            req.onerror = () => reject(req.error);
          };
        })"""
    )
    return items


async def count(page: Page) -> str:
    return (await page.locator("[data-outbox-count]").inner_text()).strip()


async def record(
    page: Page, crew: Crew, institution: str, summary: str, hazards: int = 0, photo: Path | None = None
) -> None:
    """Fill 新建检查 for `institution` (its name) with the crew's two certified officers and `hazards` hazards
    (the first with `photo`, if given) and save it."""
    await page.get_by_role("button", name="新建检查").click()
    await page.get_by_label("机构", exact=True).select_option(label=institution)
    await page.get_by_label(crew.own_name).check()
    await page.get_by_label(crew.partner_name).check()
    await page.get_by_label("检查情况").fill(summary)
    for n in range(hazards):
        await page.get_by_role("button", name="添加隐患").click()
        box = page.locator(f'fieldset[data-hazard="{n}"]')
        await box.get_by_label("类别").select_option(label="消防安全" if n == 0 else "食品安全")
        await box.get_by_label("等级").select_option(label="重大" if n == 0 else "一般")
        await box.get_by_label("描述").fill(f"{summary} 隐患{n + 1}")
        if photo is not None and n == 0:
            await box.get_by_label("照片").set_input_files(str(photo))
            await box.locator(".thumbs img").wait_for()
    await page.get_by_role("button", name="保存").click()
    await page.locator("#message").filter(has_text="已保存到本机").wait_for()


def noisy_png(width: int, height: int) -> bytes:
    """A camera-sized PNG of random pixels (incompressible, like a photo's detail)."""
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF marker")
