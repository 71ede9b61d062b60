"""Rendering console pages: the Jinja2 environment, the pages' own headers, and how figures are written.

Rules:
- Pages send their own Content-Security-Policy (`CONSOLE_CSP`: scripts, styles, images and requests from this
  server only, forms posting only to it, no framing); SecurityHeadersMiddleware keeps it instead of the API's
  `default-src 'none'`. `Referrer-Policy: same-origin` so the browser names the page's own origin in `Origin`
  on a form POST (under `no-referrer` Chromium sends `Origin: null`, which the CSRF check must refuse).
- Pages are `Cache-Control: no-store`: they show one user's data.
- A rate is written as in the annual paragraph (`100%`, `99.3%`) and `—` when there is nothing to rate.
- A date is written `2023-05-04` on every page (the `date` filter; `—` for none), a timestamp `2023-05-04 09:30`
  in Asia/Shanghai.
- A page without a session is 303 to `/console/login?next=<the page>` (`to_login`); a signed-in page is rendered
  through `page()`, which adds the user, the CSRF token for its forms and the navigation.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.auth.principals import Principal
from app.core.config import Settings
from app.reports.annual import format_rate
from app.web.console import sessions

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/console/static"
# The vendored ECharts bundle under STATIC_DIR (tools/vendor.toml pins it).
ECHARTS = "vendor/echarts-6.1.0/echarts.common.min.js"
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

LOGIN = "/console/login"
SHANGHAI = ZoneInfo("Asia/Shanghai")

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False)


def format_date(value: date | datetime | None) -> str:
    """`2023-05-04` for a date, `2023-05-04 09:30` (Asia/Shanghai) for a timestamp, `—` for none."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


_env.filters["date"] = format_date


def rate(rectified: int, found: int) -> str:
    """`100%`, `99.3%`, or `—` when nothing was found (the annual paragraph's own rule)."""
    return format_rate(rectified, found)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    html = _env.get_template(name).render(root=root, static=root + STATIC_URL, echarts=ECHARTS, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def to_login(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which sends the browser back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN}?next={quote(target, safe='')}", status_code=303, headers=PAGE_HEADERS)


def page(
    request: Request, settings: Settings, principal: Principal, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A signed-in page: the template with the user, its CSRF token (for the page's forms) and the navigation."""
    anchor = sessions.csrf_anchor(request) or ""
    return render(
        request,
        name,
        status_code=status_code,
        user=principal,
        csrf_token=sessions.csrf_token(anchor, settings.secret_key),
        **context,
    )
