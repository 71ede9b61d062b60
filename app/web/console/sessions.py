"""Console sessions and cross-site request forgery (CSRF) protection.

Rules:
- The session cookie (`SESSION_COOKIE`) holds an access token exactly as `POST /auth/token` issues it: the user
  id and the issue time, signed (HMAC-SHA256) with the app's secret key, expiring after
  `ACCESS_TOKEN_EXPIRE_MINUTES`. It is HttpOnly, SameSite=Strict, Path=/console, and Secure when `HTTPS_ONLY`.
- Every request resolves it with `principal_from_token`, the API's own check: a disabled or deleted user, or a
  session issued before the user's `sessions_valid_after` (a disable, a password change, "sign out
  everywhere") is no session, at once. An API key in the cookie is not a session.
- CSRF: every form carries a token bound to the browser's session (HMAC of the session cookie, or before
  signing in of a random pre-session cookie), and every POST must come from this server's own origin (the
  `Origin` header, else the `Referer`; scheme, host and port must all match — another port on the same host is
  another origin). Either check failing refuses the request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal, PrincipalKind, principal_from_token
from app.core.config import Settings

SESSION_COOKIE = "it_console_session"
PRE_SESSION_COOKIE = "it_console_pre"  # anchors the sign-in form's CSRF token before there is a session
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"


async def session_principal(session: AsyncSession, request: Request, secret: str) -> Principal | None:
    """The signed-in user of this request, re-checked against the database, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    principal = await principal_from_token(session, token, secret)
    if principal is None or principal.kind != PrincipalKind.user:
        return None
    return principal


def set_session(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
        path=COOKIE_PATH,
        secure=settings.HTTPS_ONLY,
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path=COOKIE_PATH)


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=settings.HTTPS_ONLY, httponly=True, samesite="strict"
    )


def csrf_anchor(request: Request) -> str | None:
    """What this browser's CSRF token is bound to: its session cookie, else its pre-session cookie."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)


def new_anchor() -> str:
    return secrets.token_urlsafe(32)


def set_pre_session(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        PRE_SESSION_COOKIE, value, path=COOKIE_PATH, secure=settings.HTTPS_ONLY, httponly=True, samesite="strict"
    )


def csrf_token(anchor: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"console-csrf\x00" + anchor.encode(), hashlib.sha256).hexdigest()


def own_origin(request: Request) -> str:
    """This server's origin as the browser sees it (scheme, Host header with its port)."""
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}".lower()


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request) -> bool:
    """True when the request says it comes from this server's own origin (Origin, else Referer)."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        origin = _origin_of(referer) if referer else None
    return origin is not None and origin.lower() == own_origin(request)


def csrf_ok(request: Request, submitted: str | None, secret: str) -> bool:
    """Both CSRF checks: the request's origin is ours and the form's token matches this browser's session."""
    anchor = csrf_anchor(request)
    if not same_origin(request) or anchor is None or not submitted:
        return False
    return hmac.compare_digest(submitted, csrf_token(anchor, secret))
