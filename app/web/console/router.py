"""Console routes: `GET /` → the console, sign-in and sign-out, and 总览 (the overview). Thin: check the
session and CSRF, call the same service functions as the API, render.

Rules:
- A page without a session is 303 to `/console/login?next=<the page>`; after signing in the browser goes back
  to `next` when it is a console path, else to `/console/`.
- Sign-in uses the API's `auth.service.login` with the app's login throttle: a wrong username or password
  shows `用户名或密码错误` on the page (401), a locked login says when to try again (429).
- Every POST passes both CSRF checks (app.web.console.sessions) or is 403 with a Chinese page, changing nothing.
- 总览 takes `year` (four digits, 2000–2100; default this year): the year's figures per kind from
  `reports.service.summary` with the caller's region scope; a bad year is 422 with a message beside the control.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth_service
from app.core import clock
from app.core.deps import SettingsDep
from app.core.errors import TooManyRequests, Unauthorized
from app.db.deps import DatabaseDep
from app.reports import service as report_service
from app.reports.labels import KIND
from app.web.console import sessions
from app.web.console.pages import LOGIN, PAGE_HEADERS, page, rate, render, to_login

router = APIRouter(include_in_schema=False)
CONSOLE = "/console/"
MIN_YEAR, MAX_YEAR = 2000, 2100
WRONG_CREDENTIALS = "用户名或密码错误"
CSRF_REFUSED = "请求来源无法确认,已拒绝。请回到本系统页面后重试。"


def _safe_next(value: str | None) -> str:
    if value and value.startswith(CONSOLE) and not value.startswith("//") and "\\" not in value:
        return value
    return CONSOLE


def _refused(request: Request) -> HTMLResponse:
    return render(request, "refused.html", status_code=403, message=CSRF_REFUSED, user=None)


def _login_page(
    request: Request,
    settings: SettingsDep,
    *,
    next_url: str,
    error: str | None,
    status_code: int,
    username: str = "",
) -> HTMLResponse:
    """The sign-in form; a browser without a session gets a fresh pre-session cookie to bind its CSRF token."""
    anchor = sessions.csrf_anchor(request)
    fresh = anchor is None
    if anchor is None:
        anchor = sessions.new_anchor()
    page = render(
        request,
        "login.html",
        status_code=status_code,
        next_url=next_url,
        error=error,
        username=username,
        user=None,
        csrf_token=sessions.csrf_token(anchor, settings.secret_key),
    )
    if fresh:
        sessions.set_pre_session(page, anchor, settings)
    return page


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse(CONSOLE, status_code=303)


@router.get(LOGIN)
async def login_form(request: Request, settings: SettingsDep, next: str | None = None) -> HTMLResponse:
    return _login_page(request, settings, next_url=_safe_next(next), error=None, status_code=200)


@router.post(LOGIN)
async def login(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = CONSOLE,
) -> Response:
    secret = settings.secret_key
    if not sessions.csrf_ok(request, csrf_token, secret):
        return _refused(request)
    next_url = _safe_next(next)
    client_ip = request.client.host if request.client else "unknown"
    ttl = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    try:
        async with db.read_session() as session:
            token = await auth_service.login(
                session,
                username,
                password,
                secret,
                ttl,
                throttle=request.app.state.login_throttle,
                client_ip=client_ip,
            )
    except Unauthorized:
        return _login_page(
            request, settings, next_url=next_url, error=WRONG_CREDENTIALS, status_code=401, username=username
        )
    except TooManyRequests as exc:
        wait = (exc.headers or {}).get("Retry-After", "60")
        message = f"登录失败次数过多,请{wait}秒后再试"
        return _login_page(request, settings, next_url=next_url, error=message, status_code=429, username=username)
    response = RedirectResponse(next_url, status_code=303, headers=PAGE_HEADERS)
    sessions.set_session(response, token.access_token, settings)
    return response


@router.post("/console/logout")
async def logout(request: Request, settings: SettingsDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    if not sessions.csrf_ok(request, csrf_token, settings.secret_key):
        return _refused(request)
    response = RedirectResponse(LOGIN, status_code=303, headers=PAGE_HEADERS)
    sessions.clear_session(response, settings)
    return response


def _parse_year(raw: str | None, today: date) -> tuple[int, str | None]:
    if raw is None or raw == "":
        return today.year, None
    text = raw.strip()
    if len(text) == 4 and text.isascii() and text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR:
        return int(text), None
    return today.year, f"年度应为 {MIN_YEAR}—{MAX_YEAR} 之间的四位数字,例如 {today.year}"


@router.get(CONSOLE)
async def overview(request: Request, db: DatabaseDep, settings: SettingsDep, year: str | None = None) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        today = clock.today()
        chosen, error = _parse_year(year, today)
        if error is not None:
            return page(request, settings, principal, "overview.html", 422, year=year, error=error, summary=None)
        end = date(chosen, 12, 31) if chosen < today.year else None
        period = report_service.resolve_period(principal, date(chosen, 1, 1), end, None, None)
        summary = await report_service.summary(session, period)
    kinds = [
        {"kind": k.kind.value, "label": KIND[k.kind], "c": k, "rate": rate(k.hazards_rectified, k.hazards_found)}
        for k in summary.kinds
    ]
    return page(
        request, settings, principal, "overview.html", 200, year=str(chosen), error=None, summary=summary, kinds=kinds
    )
