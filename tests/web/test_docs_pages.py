"""/docs and /redoc without a browser: every asset they name is served from the package, and each page's CSP
admits exactly its own inline block (by sha256) and nothing from another origin."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from app.web import docs

ASSET = re.compile(r'(?:src|href)="([^"]+)"')
INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_every_asset_a_page_names_is_served_here(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assets = ASSET.findall(r.text)
    assert len(assets) >= 2
    for url in assets:
        assert url.startswith("/static/vendor/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert asset.content == (docs.STATIC_DIR / url.removeprefix("/static/")).read_bytes(), url


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_csp_admits_the_pages_own_inline_block_and_no_other_origin(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    csp = _directives(r.headers["content-security-policy"])
    blocks = INLINE.findall(r.text)
    assert blocks, "each page has one inline block, admitted by its hash"
    for tag, body in blocks:
        assert _hash(body) in csp[f"{tag}-src"]
    for directive, sources in csp.items():
        for source in sources:
            assert source in {"'self'", "'none'", "data:", "blob:"} or source.startswith("'sha256-"), (
                directive,
                source,
            )
    assert csp["default-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert ("worker-src" in csp) == (path == "/redoc")


async def test_an_altered_inline_script_is_not_admitted(client: httpx.AsyncClient) -> None:
    """The hashes are of the page's own blocks: the same page with one character changed gets no pass."""
    html = (await client.get("/docs")).text
    (script,) = [body for tag, body in INLINE.findall(html) if tag == "script"]
    tampered = html.replace(script, script.replace("SwaggerUIBundle({", "SwaggerUIBundle({ "))
    assert _hash(script.replace("SwaggerUIBundle({", "SwaggerUIBundle({ ")) not in docs.page_csp(html)
    assert docs.page_csp(tampered) != docs.page_csp(html)


async def test_fastapis_cdn_pages_are_gone(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        assert "cdn.jsdelivr.net" not in (await client.get(path)).text
        assert "fonts.googleapis.com" not in (await client.get(path)).text
