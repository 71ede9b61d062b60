"""Console routes: `GET /` → the console, sign-in and sign-out, and 总览 (the overview). Thin: check the
session and CSRF, call the same service functions as the API, render.

Rules:
- A page without a session is 303 to `/console/login?next=<the page>`; after signing in the browser goes back
  to `next` when it is a console path, else to `/console/`.
- Sign-in uses the API's `auth.service.login` with the app's login throttle: a wrong username or password
  shows `用户名或密码错误` on the page (401), a locked login says when to try again (429).
- Every POST passes both CSRF checks (app.web.console.sessions) or is 403 with a Chinese page, changing nothing.
- `退出` ends the session on the server, not only in the browser: it is the API's "sign out everywhere"
  (`auth.service.revoke_sessions`; tokens carry no id of their own to revoke one alone), so every token of the
  user issued before it stops working — its other console sessions and its field app's token included (the
  field app's outbox waits for the next sign-in).
- 总览: app.web.console.overview (its filters, figures, charts and lists; a bad filter is 422 beside its control).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth_service
from app.core import clock
from app.core.deps import SettingsDep
from app.core.errors import TooManyRequests, Unauthorized
from app.db.deps import DatabaseDep
from app.hazards.models import ESCALATION_LABELS
from app.reports.labels import CATEGORY, KIND, SEVERITY
from app.web.console import overview as dashboard
from app.web.console import sessions
from app.web.console.forms import refused
from app.web.console.pages import LOGIN, PAGE_HEADERS, page, rate, render, to_login

router = APIRouter(include_in_schema=False)
CONSOLE = "/console/"
WRONG_CREDENTIALS = "用户名或密码错误"
LABELS = {
    "kind_labels": KIND,
    "category_labels": CATEGORY,
    "severity_labels": SEVERITY,
    "escalation_labels": ESCALATION_LABELS,
    "rate": rate,
}


def _safe_next(value: str | None) -> str:
    if value and value.startswith(CONSOLE) and not value.startswith("//") and "\\" not in value:
        return value
    return CONSOLE


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
        return refused(request)
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
async def logout(
    request: Request, db: DatabaseDep, settings: SettingsDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """退出: the session ends on the server too (the API's revoke-sessions), so a copy of the cookie is no
    session any more; then the cookie is cleared."""
    if not sessions.csrf_ok(request, csrf_token, settings.secret_key):
        return refused(request)
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is not None:
        async with db.write_session() as session:
            await auth_service.revoke_sessions(session, principal.id, principal)
    response = RedirectResponse(LOGIN, status_code=303, headers=PAGE_HEADERS)
    sessions.clear_session(response, settings)
    return response


@router.get(CONSOLE)
async def overview(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """总览: app.web.console.overview states the filters and what the page shows."""
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        today = clock.today()
        filters = dashboard.parse_filters(dict(request.query_params), today)
        data = None if filters.errors else await dashboard.load(session, principal, filters, today)
    context: dict[str, Any] = {"f": filters, "data": data, "expiry_days": dashboard.EXPIRY_DAYS, **LABELS}
    if data is not None:
        context |= {"kinds": dashboard.kinds(data.summary, filters.kind), "charts": dashboard.chart_data(data)}
    return page(request, settings, principal, "overview.html", filters.status_code, **context)
