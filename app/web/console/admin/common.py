"""What the administration pages share: the admin behind a GET or a POST, the Chinese 403 for everyone else,
the first page of a list with its `下一页`, and the labels of roles and fields.

Rules:
- A GET without a session is 303 to the sign-in page; a POST is checked for CSRF first, then the session
  (app.web.console.forms.form_user). A signed-in user who is not an admin gets the Chinese 403 page
  (`NOT_ADMIN`) for every GET and POST, and nothing is read or changed.
- A list shows 50 rows a page in the API's order (the API's own query), `下一页` carries the API's signed cursor
  for the page's own path; a cursor the page did not issue is 422 beside `下一页`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principals import Principal
from app.core.config import Settings
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.db.session import Database
from app.web.console import sessions
from app.web.console.forms import field_errors, form_user
from app.web.console.pages import page, to_login
from app.web.console.queryform import PAGE_SIZE, QueryForm
from app.web.console.register_labels import ROLE

M = TypeVar("M", bound=BaseModel)
ADMIN = "/console/admin"
NOT_ADMIN = "系统管理仅限管理员使用。如需调整用户、API密钥或Webhook,请联系本单位管理员。"
ROLE_LABELS: Mapping[str, str] = ROLE
OUTSIDE_SCOPE = "该行政区划不在您的管辖范围内,请填写您所辖区划代码或其下级代码"


def not_admin(request: Request, settings: Settings, principal: Principal) -> HTMLResponse:
    """403: the caller is signed in but not an admin."""
    return page(request, settings, principal, "refused.html", 403, message=NOT_ADMIN)


async def admin_viewer(request: Request, db: Database, settings: Settings) -> Principal | Response:
    """The admin behind a GET, or the sign-in redirect / the 403 page."""
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is None:
        return to_login(request)
    if principal.role != Role.admin:
        return not_admin(request, settings, principal)
    return principal


async def admin_form(
    request: Request, db: Database, settings: Settings
) -> tuple[Principal, Mapping[str, Any]] | Response:
    """The admin behind a POST and its form, or the CSRF refusal / sign-in redirect / 403 page."""
    found = await form_user(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, form = found
    if principal.role != Role.admin:
        return not_admin(request, settings, principal)
    return principal, form


def page_errors(exc: Exception, labels: Mapping[str, str]) -> tuple[dict[str, str], int]:
    """{field: message} and the status of a refused create or change: 422 (a region outside the admin's, as
    the service's `Forbidden`, is shown beside `行政区划代码`), or 409 for a value taken (a username)."""
    if isinstance(exc, Forbidden):
        return {"region_code": OUTSIDE_SCOPE}, 422
    if isinstance(exc, ValidationError | ValidationFailed):
        return field_errors(exc, labels), 422
    assert isinstance(exc, Conflict), exc
    return field_errors(ValidationFailed(exc.detail, errors=exc.errors), labels), 409


def parse(schema: type[M], values: Mapping[str, Any]) -> M:
    """The form as the API's request body: an empty field is left out (the schema's default), except
    `region_code`, where empty means the whole country (the API's '')."""
    return schema.model_validate({k: v for k, v in values.items() if v != "" or k == "region_code"})


def text_fields(form: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The form's text values as typed (a file or a missing field is '')."""
    return {name: value if isinstance(value := form.get(name), str) else "" for name in names}


Lister = Callable[[AsyncSession, Principal, str | None, int], Awaitable[tuple[Sequence[Any], str | None]]]


async def list_view(
    request: Request,
    db: Database,
    settings: Settings,
    principal: Principal,
    template: str,
    lister: Lister,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page with a list: `lister` (an API list query: session, principal, cursor, limit) at the page's
    `cursor` (the first page after a POST), `下一页`, and the page's own form with its `errors`."""
    query = QueryForm(request.query_params if request.method == "GET" else {})
    cursor = query.cursor(request, settings)
    shown = dict(errors or {}) | query.errors
    rows: Sequence[Any] = []
    next_url = None
    if query.errors:
        status_code = 422
    else:
        async with db.query_session() as session:
            rows, next_cursor = await lister(session, principal, cursor.position, PAGE_SIZE)
        next_url = query.next_url(request, cursor.issue(next_cursor))
    return page(
        request,
        settings,
        principal,
        template,
        status_code,
        items=rows,
        next_url=next_url,
        errors=shown,
        roles=ROLE_LABELS,
        active="admin",
        **context,
    )


@dataclass(frozen=True)
class AdminList:
    """One list page with its create form: `blank` is the form a GET shows (the admin's region proposed)."""

    template: str
    lister: Lister
    blank: Callable[[Principal], dict[str, Any]]
    context: Mapping[str, Any] = field(default_factory=dict)
    more: Callable[[AsyncSession, Principal], Awaitable[Mapping[str, Any]]] | None = None  # e.g. a form's choices

    async def show(
        self,
        request: Request,
        db: Database,
        settings: Settings,
        principal: Principal,
        form: Mapping[str, Any] | None = None,
        errors: Mapping[str, str] | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """The page; after a refused create with what was typed and the messages, else with the blank form."""
        shown = form if form is not None else self.blank(principal)
        if self.more is not None:
            async with db.query_session() as session:
                context = {**await self.more(session, principal), **context}
        return await list_view(
            request,
            db,
            settings,
            principal,
            self.template,
            self.lister,
            status_code,
            errors,
            form=shown,
            **self.context,
            **context,
        )

    async def get(self, request: Request, db: Database, settings: Settings) -> Response:
        principal = await admin_viewer(request, db, settings)
        if isinstance(principal, Response):
            return principal
        return await self.show(request, db, settings, principal)


def own_region(principal: Principal) -> dict[str, Any]:
    return {"region_code": principal.region_code}
