"""Rendering console pages: the Jinja2 environment, the pages' own headers, and how figures are written.

Rules:
- Pages send their own Content-Security-Policy (`CONSOLE_CSP`: scripts, styles, images and requests from this
  server only, forms posting only to it, no framing); SecurityHeadersMiddleware keeps it instead of the API's
  `default-src 'none'`. `Referrer-Policy: same-origin` so the browser names the page's own origin in `Origin`
  on a form POST (under `no-referrer` Chromium sends `Origin: null`, which the CSRF check must refuse).
- Pages are `Cache-Control: no-store`: they show one user's data.
- A rate is written as in the annual paragraph (`100%`, `99.3%`) and `—` when there is nothing to rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.annual import format_rate

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/console/static"
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False)


def rate(rectified: int, found: int) -> str:
    """`100%`, `99.3%`, or `—` when nothing was found (the annual paragraph's own rule)."""
    return format_rate(rectified, found)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    html = _env.get_template(name).render(root=root, static=root + STATIC_URL, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
