"""What every console form that changes something shares: the signed-in user behind a POST, the refusal of a
request from another origin, and the Chinese message beside each field an error names.

Rules:
- A POST is checked for CSRF first (origin and token, app.web.console.sessions): refused, it is 403 with the
  Chinese refusal page and nothing is read or changed. Then the session: none, it is 303 to the sign-in page.
  A role that may not do it gets the same page (403) saying why, for the form and its POST (`allowed_user`,
  `allowed_form`, `not_allowed`).
- A form is parsed into the API's own request schema; its pydantic errors and the service's `ValidationFailed`
  become `{field: 中文提示}` keyed by the field's path without the leading `body` (`officer_ids`,
  `hazards.0.description`), so the template shows each beside its control and the page answers 422.
- Wording comes from app.core.messages_zh (one place for the page and the import preview).
- A refused or signed-out POST closes its form (an upload's temporary files); otherwise the caller closes it
  (`await form.close()`) once done with its files.
- After a successful change the page redirects (303) to the record: a reload never posts twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.auth.models import Role
from app.auth.principals import Principal
from app.core.config import Settings
from app.core.errors import AppError
from app.core.messages_zh import business_message, pydantic_message
from app.db.session import Database
from app.web.console import sessions
from app.web.console.pages import PAGE_HEADERS, page, render, to_login

CSRF_REFUSED = "请求来源无法确认,已拒绝。请回到本系统页面后重试。"


def refused(request: Request) -> HTMLResponse:
    """403: the request's origin or form token is not this server's; nothing was changed."""
    return render(request, "refused.html", status_code=403, message=CSRF_REFUSED, user=None)


async def form_user(request: Request, db: Database, settings: Settings) -> tuple[Principal, FormData] | Response:
    """(the signed-in user, the posted form) of a state-changing request, or the refusal / sign-in redirect."""
    form = await request.form()
    token = form.get(sessions.CSRF_FIELD)
    if not sessions.csrf_ok(request, token if isinstance(token, str) else None, settings.secret_key):
        await form.close()  # an upload's temporary files
        return refused(request)
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is None:
        await form.close()
        return to_login(request)
    return principal, form


async def allowed_user(
    request: Request, db: Database, settings: Settings, roles: Collection[Role], refusal: str
) -> Principal | Response:
    """The signed-in user of a form's page (GET) when its role is in `roles`; else the sign-in redirect, or the
    403 page saying `refusal`."""
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is None:
        return to_login(request)
    if principal.role not in roles:
        return not_allowed(request, settings, principal, refusal)
    return principal


async def allowed_form(
    request: Request, db: Database, settings: Settings, roles: Collection[Role], refusal: str
) -> tuple[Principal, FormData] | Response:
    """`form_user`, then the role: one outside `roles` gets the 403 page saying `refusal`, nothing changed."""
    got = await form_user(request, db, settings)
    if not isinstance(got, Response) and got[0].role not in roles:
        return not_allowed(request, settings, got[0], refusal)
    return got


def _key(loc: Sequence[str | int]) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def _label(key: str, labels: Mapping[str, str]) -> str:
    """The label of `hazards.0.description` is that of `hazards.description`, else of `description`."""
    if key in labels:
        return labels[key]
    generic = ".".join(p for p in key.split(".") if not p.isdigit())
    return labels.get(generic) or labels.get(key.rsplit(".", 1)[-1]) or key


def field_errors(exc: ValidationError | AppError, labels: Mapping[str, str]) -> dict[str, str]:
    """{field path: Chinese message} for every error (a service's `ValidationFailed`, or a `Conflict` naming
    its field); a field keeps its first message."""
    found: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            key = _key(error.get("loc", ()))
            found.setdefault(key, pydantic_message(dict(error), _label(key, labels)))
        return found
    for item in exc.errors or []:
        key = _key(item.loc)
        found.setdefault(key, business_message(item.msg, _label(key, labels)))
    if not found:
        found[""] = business_message(exc.detail, "")
    return found


def not_allowed(request: Request, settings: Settings, principal: Principal, message: str) -> HTMLResponse:
    """403 for a signed-in user whose role may not do this (the form and its POST): why, and nothing changed."""
    return page(request, settings, principal, "refused.html", 403, message=message)


def see_other(url: str) -> RedirectResponse:
    """303 after a change (post/redirect/get), with the pages' headers."""
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)
