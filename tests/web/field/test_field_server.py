"""The field app's routes without a browser: the page for a signed-out visitor, its manifest, its service worker
(headers, scope, the precached shell, a version that follows the shell) and the pages' CSP."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.core.config import Settings
from app.main import create_app
from app.web.field.shell import build_shell


async def test_the_page_is_served_signed_out_with_its_own_csp(client: httpx.AsyncClient) -> None:
    r = await client.get("/field/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    for rule in ("script-src 'self'", "style-src 'self'", "worker-src 'self'", "img-src 'self' blob: data:"):
        assert rule in csp
    assert "connect-src 'self'" in csp
    assert "登录" in r.text and 'for="username">用户名' in r.text and 'for="password">密码' in r.text
    assert "data-outbox-count" in r.text and "民政执法检查" in r.text


async def test_the_manifest(client: httpx.AsyncClient) -> None:
    r = await client.get("/field/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    manifest = r.json()
    assert manifest["name"] == "民政执法检查"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/field/", "/field/", "standalone")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        size = int(icon["sizes"].split("x")[0])
        assert int.from_bytes(image.content[16:20], "big") == size  # the PNG's own width


async def test_the_service_worker_headers_and_shell(client: httpx.AsyncClient) -> None:
    r = await client.get("/field/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.headers["cache-control"] == "no-cache"
    assert "connect-src 'self'" in r.headers["content-security-policy"]  # not the API's default-src 'none'
    assert "skipWaiting" in r.text and "__VERSION__" not in r.text
    page = await client.get("/field/")
    version = page.text.split('data-shell-version="', 1)[1].split('"', 1)[0]
    assert f"field-shell-{version}" in r.text or f'"{version}"' in r.text
    for url in ("/field/", "/field/static/app.js", "/field/static/sync.js", "/static/vendor/idb-8.0.4/index.js"):
        assert f'"{url}"' in r.text
        assert (await client.get(url)).status_code == 200


def test_the_version_follows_the_shell_and_the_release() -> None:
    first = build_shell(10 * 1024 * 1024)
    assert build_shell(10 * 1024 * 1024) == first
    assert build_shell(5 * 1024 * 1024).version != first.version
    assert build_shell(10 * 1024 * 1024, "next").version != first.version


def test_a_deploy_label_changes_the_served_worker(tmp_path: Path) -> None:
    """FIELD_RELEASE (a setting) changes the shell version, which the worker carries (the test above)."""
    workers = []
    for release in ("", "2026-12-04"):
        app = create_app(
            Settings(FIELD_RELEASE=release, DATABASE_URL=f"sqlite:///{tmp_path}/field.db", SECRET_KEY="x" * 32)
        )
        workers.append(app.state.field_shell.version)
    assert workers[0] != workers[1]
