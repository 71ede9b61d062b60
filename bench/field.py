"""The field app on a phone (issue 19): what it downloads on its first visit, and how long the outbox takes to
sync 50 inspections recorded offline.

    python -m bench.field

Method: a real `serve` on loopback with the embedded SQLite store (what `make run` serves), the 2023 Shizhu data
set topped up to a county of `INSTITUTIONS` institutions and `OFFICERS` officers; Debian's Chromium through
Playwright at 360 × 740, a new device. Sizes are Chromium's own per-request figures (`request.sizes()`: body
bytes as received plus header bytes) of every request the page and its service worker made until the worker
controls the page and its cache holds the whole shell; each body is also gzip-compressed here to show what
compression on the wire would save. Sync: `SYNC_ITEMS` inspections (2 hazards each) recorded through the form
with the network off, then the network on: the time from `online` to `[data-outbox-count]` = 0, once without
photos and once with one camera-sized photo per inspection (resized on the device to ≤ 1600 px JPEG before it
is stored; uploaded after its hazard exists).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Request, async_playwright

from tests.serving import serve
from tests.web.field.browser import Admin, Crew, noisy_png, phone, record, seed, sign_in

CHROMIUM = Path("/usr/bin/chromium")
INSTITUTIONS = 300
OFFICERS = 60
SYNC_ITEMS = 50


@dataclass
class Transfer:
    """Bytes received per part of the first visit."""

    requests: int = 0
    wire: int = 0  # body as received + response headers
    body: int = 0
    gzip: int = 0
    urls: list[str] = field(default_factory=list)

    def add(self, url: str, wire: int, body: bytes) -> None:
        self.requests += 1
        self.wire += wire
        self.body += len(body)
        self.gzip += len(gzip.compress(body, 6))
        self.urls.append(url)


def _part(url: str) -> str:
    path = url.split("://", 1)[1].split("/", 1)[1]
    if path.startswith(("api/v1/institutions", "api/v1/officers")):
        return "data (institutions and officers)"
    if path.startswith("api/"):
        return "sign-in (token, users/me)"
    return "app shell"


def _top_up(admin: Admin) -> None:
    """Make 500240 a county of INSTITUTIONS institutions and OFFICERS officers (the seed has fewer)."""
    have = len(admin.http.get("/institutions", params={"region_code": "500240", "limit": 500}).json()["items"])
    for n in range(have, INSTITUTIONS):
        admin.institution(f"养老服务机构{n:03d}")
    officers = len(admin.http.get("/officers", params={"region_code": "500240", "limit": 500}).json()["items"])
    for n in range(officers, OFFICERS):
        admin.officer(f"执法员{n:02d}", "2030-12-31")


async def first_visit(browser: Browser, base_url: str, crew: Crew) -> dict[str, Transfer]:
    parts: dict[str, Transfer] = {}
    pending: list[asyncio.Task[None]] = []
    async with phone(browser) as (context, page):

        async def finished(request: Request) -> None:
            response = await request.response()
            if response is None:
                return
            sizes = await request.sizes()
            body = await response.body() if response.status != 304 else b""
            wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            parts.setdefault(_part(request.url), Transfer()).add(request.url, wire, body)

        context.on("requestfinished", lambda r: pending.append(asyncio.ensure_future(finished(r))))
        await page.goto(f"{base_url}/field/")
        await sign_in(page, base_url, crew.username)
        await page.wait_for_function(
            """async () => {
              const keys = await caches.keys();
              const cache = keys.find((k) => k.startsWith("field-shell-"));
              return !!cache && (await (await caches.open(cache)).keys()).length >= 10;
            }"""
        )
        await asyncio.sleep(1)
        await asyncio.gather(*pending)
        kept = await page.evaluate(
            """() => new Promise((resolve) => {
              const open = indexedDB.open("field");
              open.onsuccess = () => {
                const tx = open.result.transaction(["institutions", "officers"]);
                const a = tx.objectStore("institutions").count(), b = tx.objectStore("officers").count();
                tx.oncomplete = () => resolve([a.result, b.result]);
              };
            })"""
        )
    print(f"kept on the device: {kept[0]} institutions, {kept[1]} officers")
    return parts


async def sync_time(browser: Browser, base_url: str, admin: Admin, photo: Path | None) -> tuple[float, int]:
    """Seconds from `online` to an empty outbox for SYNC_ITEMS inspections; and how many the server holds."""
    crew = admin.crew()
    names = [f"同步测试{crew.own[:4]}{n:02d}" for n in range(SYNC_ITEMS)]
    ids = [admin.institution(name) for name in names]
    async with phone(browser) as (context, page):
        await sign_in(page, base_url, crew.username)
        await context.set_offline(True)
        for n, name in enumerate(names):
            await record(page, crew, name, f"离线检查{n}", hazards=2, photo=photo)
        await page.wait_for_function(
            "n => document.querySelector('[data-outbox-count]').textContent.trim() === n", arg=str(SYNC_ITEMS)
        )
        start = time.perf_counter()
        await context.set_offline(False)
        await page.wait_for_function(
            "() => document.querySelector('[data-outbox-count]').textContent.trim() === '0'", timeout=600_000
        )
        elapsed = time.perf_counter() - start
    stored = sum(len(admin.http.get("/inspections", params={"institution_id": i}).json()["items"]) for i in ids)
    return elapsed, stored


def _table(parts: dict[str, Transfer]) -> Iterable[str]:
    yield "| part | requests | received (headers + body) | body | body gzip-compressed |"
    yield "|---|---|---|---|---|"
    total = Transfer()
    for name, t in sorted(parts.items()):
        yield f"| {name} | {t.requests} | {t.wire:,} B | {t.body:,} B | {t.gzip:,} B |"
        total.requests += t.requests
        total.wire += t.wire
        total.body += t.body
        total.gzip += t.gzip
    yield f"| all | {total.requests} | {total.wire:,} B | {total.body:,} B | {total.gzip:,} B |"


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-field-") as tmp:
        folder = Path(tmp)
        seed(folder)
        with serve(folder) as base_url:
            admin = Admin(base_url)
            _top_up(admin)
            photo = folder / "IMG_0001.png"
            photo.write_bytes(noisy_png(4000, 3000))
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
                parts = await first_visit(browser, base_url, admin.crew())
                plain = await sync_time(browser, base_url, admin, None)
                photos = await sync_time(browser, base_url, admin, photo)
                await browser.close()
            admin.close()
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}")
    print("\n".join(_table(parts)))
    for label, (seconds, stored) in (("no photos", plain), ("one photo each", photos)):
        per = seconds / SYNC_ITEMS * 1000
        print(f"sync of {SYNC_ITEMS} inspections ({label}): {seconds:.2f} s ({per:.0f} ms each), stored {stored}")
    details: dict[str, Any] = {name: t.urls for name, t in parts.items()}
    print("requests:", details)


if __name__ == "__main__":
    asyncio.run(main())
