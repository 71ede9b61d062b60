"""Field app routes: the page, its manifest and its service worker. Thin: everything else happens on the
device (static/app.js) against the API with a bearer token, so these routes read no session.

Rules:
- `/field/` is the same page for everyone (no user data in it: the app renders from IndexedDB), sent with the
  field CSP (`FIELD_CSP`: scripts, styles and requests from this origin only, images also `blob:` and `data:`
  for photo previews, workers from this origin) and `Cache-Control: no-cache`.
- `/field/sw.js` is `application/javascript`, `no-cache` (the browser checks it on every visit) and carries the
  field CSP too: a worker's own CSP governs its fetches, and the API's `default-src 'none'` would stop them.
- `/field/manifest.webmanifest`: name `民政执法检查`, `start_url` and `scope` `/field/`, `standalone`,
  icons 192 and 512.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.web.field.shell import IDB_URL, STATIC_URL, TEMPLATES, Shell

FIELD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": FIELD_CSP, "Cache-Control": "no-cache", "Referrer-Policy": "same-origin"}
MANIFEST = {
    "name": "民政执法检查",
    "short_name": "执法检查",
    "lang": "zh-CN",
    "start_url": "/field/",
    "scope": "/field/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#1f4e8c",
    "icons": [
        {"src": f"{STATIC_URL}/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": f"{STATIC_URL}/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
    ],
}

router = APIRouter(include_in_schema=False)
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False)
_SW = (Path(__file__).resolve().parent / "templates" / "sw.js").read_text(encoding="utf-8")


def _shell(request: Request) -> Shell:
    shell: Shell = request.app.state.field_shell
    return shell


@router.get("/field", response_class=HTMLResponse)
@router.get("/field/", response_class=HTMLResponse)
async def field_page(request: Request) -> HTMLResponse:
    html = _env.get_template("index.html").render(
        static=STATIC_URL,
        idb=IDB_URL,
        version=_shell(request).version,
        max_bytes=request.app.state.settings.EVIDENCE_MAX_BYTES,
    )
    return HTMLResponse(html, headers=HEADERS)


@router.get("/field/manifest.webmanifest")
async def manifest() -> Response:
    body = json.dumps(MANIFEST, ensure_ascii=False)
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/field/sw.js")
async def service_worker(request: Request) -> Response:
    shell = _shell(request)
    body = _SW.replace("__VERSION__", shell.version).replace("__URLS__", json.dumps(list(shell.urls)))
    return Response(body, media_type="application/javascript", headers=HEADERS)
