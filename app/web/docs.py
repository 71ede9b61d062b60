"""The interactive API docs: `/docs` (Swagger UI) and `/redoc` (ReDoc), from assets shipped in the package.

Rules:
- Every script, stylesheet and image the pages load comes from this server, under `/static/vendor/`: the
  pinned copies that tools/vendor.toml lists (with their licences), so the docs work on a network without
  internet.
- The pages are FastAPI's own (`get_swagger_ui_html`, `get_redoc_html`) pointed at those copies, and each
  sends its own Content-Security-Policy: sources `'self'` only (images also `data:`, the icons Swagger UI's
  stylesheet inlines), plus the sha256 of the one inline script or style block the page itself contains and,
  on /redoc, of the two style blocks ReDoc's bundle writes, and its search worker (`blob:`). No outside
  origin, no `'unsafe-inline'`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"
SWAGGER_UI = f"{STATIC_URL}/vendor/swagger-ui-dist-5.35.0"
REDOC = f"{STATIC_URL}/vendor/redoc-2.5.4"
FAVICON = f"{SWAGGER_UI}/favicon-32x32.png"
DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_URL = "/redoc"

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def _sha256_source(block: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii") + "'"


# What ReDoc 2.5.4's bundle adds to its page (a new version: tests/web/test_docs_browser.py reports any CSP
# violation): the <style> element styled-components creates empty and fills through CSSOM (insertRule, which
# CSP does not govern), perfect-scrollbar's fixed stylesheet, and the search index's worker, made from a blob.
# Its sidebar's Redocly logo comes from the vendor's CDN: the CSP blocks it and ReDoc then leaves it out.
REDOC_STYLES = (_sha256_source(""), "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='")
REDOC_WORKERS = ("blob:",)


def page_csp(html: str, *, styles: tuple[str, ...] = (), workers: tuple[str, ...] = ()) -> str:
    """The CSP for one of these pages: 'self', the hashes of the page's own inline blocks, and the extra
    style hashes and worker sources its bundle needs."""
    blocks = _INLINE.findall(html)
    script_src = " ".join(["'self'", *(_sha256_source(body) for tag, body in blocks if tag == "script")])
    style_src = " ".join(["'self'", *(_sha256_source(body) for tag, body in blocks if tag == "style"), *styles])
    worker_src = f"worker-src {' '.join(workers)}; " if workers else ""
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; {worker_src}img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _root_path(request: Request) -> str:
    """The prefix the app is served under (uvicorn --root-path), as FastAPI's own docs pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _with_csp(page: HTMLResponse, *, styles: tuple[str, ...] = (), workers: tuple[str, ...] = ()) -> HTMLResponse:
    html = bytes(page.body).decode("utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": page_csp(html, styles=styles, workers=workers)})


def install_docs(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Mount the shipped assets and add the three docs pages (not part of the OpenAPI document). Create the app
    with `docs_url=None, redoc_url=None` so FastAPI's CDN pages are not there as well."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    swagger_ui_parameters = app.swagger_ui_parameters

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
                swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
                swagger_favicon_url=root + FAVICON,
                swagger_ui_parameters=swagger_ui_parameters,
            )
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_csp(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return _with_csp(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{title} - ReDoc",
                redoc_js_url=f"{root}{REDOC}/redoc.standalone.js",
                redoc_favicon_url=root + FAVICON,
                with_google_fonts=False,
            ),
            styles=REDOC_STYLES,
            workers=REDOC_WORKERS,
        )
