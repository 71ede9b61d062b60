"""Create and edit forms of the registers (机构, 执法人员): `<path>/new` and `<path>/{id}/edit`, one engine for both.

Rules:
- Only the roles the API lets write a register (`app.auth.deps.MANAGER_ROLES`: admins and supervisors) see the forms
  and their buttons; anyone else gets 403 with a Chinese page, GET or POST, and nothing changes.
- A form is parsed into the API's own body (`InstitutionCreate`, `OfficerUpdate`, …) and handed to the API's own
  service function with the session's principal: the same rules, the same region scope. An empty optional
  field is null (cleared on edit); an empty required field is the schema's `请填写…`.
- An edit changes only the fields its form sends (the officer page's 证件变更 form sends the certificate's only)
  and carries the revision the page was loaded at (app.db.revision): if the record changed since, the page says
  `该记录已被他人更新,请刷新后重试` (412) and nothing changes.
- Bad input is 422 with the message beside its field; a region outside the caller's is 403 beside 行政区划代码;
  a credit code or certificate number already registered is 409 beside its field. The form keeps what was typed.
- A record unknown, outside the caller's region or with a bad id is the Chinese 404 page.
- Saved, the browser is sent (303) to the record's page (post/redirect/get).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.auth.deps import MANAGER_ROLES
from app.auth.principals import Principal
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import AppError, Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.db.deps import DatabaseDep
from app.db.revision import revision
from app.db.session import Database
from app.web.console import sessions
from app.web.console.forms import allowed_form, allowed_user, field_errors, not_allowed, see_other
from app.web.console.pages import page, to_login
from app.web.console.queryform import OUTSIDE_REGION, not_found, parse_id

NOT_ALLOWED = "您的账号只能查看,不能登记或修改机构、执法人员(需要管理员或监管人员账号)"
STALE = "该记录已被他人更新,请刷新后重试"
REVISION_FIELD = "revision"

Creator = Callable[[AsyncSession, Any, Principal], Awaitable[tuple[Any, bool]]]
Getter = Callable[[AsyncSession, uuid.UUID, Principal], Awaitable[Any]]


@dataclass(frozen=True)
class Register:
    """One register's form: its paths and labels, the API's bodies and service functions."""

    path: str  # the list page, e.g. /console/institutions
    what: str  # 机构 / 执法人员 (the 404 page)
    back_label: str
    template: str
    labels: Mapping[str, str]  # every field of the form, in order, with its Chinese label
    required: frozenset[str]
    create_body: type[BaseModel]
    update_body: type[BaseModel]
    create: Creator
    update: Callable[..., Awaitable[Any]]  # (session, id, body, principal, *, revision)
    get: Getter
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # select options, value → label
    defaults: Callable[[Principal], dict[str, str]] = lambda _principal: {}


def may_write(principal: Principal) -> bool:
    """Whether the caller may create and edit the registers (the API's ManagerPrincipal)."""
    return principal.role in MANAGER_ROLES


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stored_values(record: Any, names: Iterable[str]) -> dict[str, str]:
    """The record's fields as a form shows them (`""` for none, enums by value, dates `2023-05-04`)."""
    return {name: _text(getattr(record, name)) for name in names}


def posted(form: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """The text of each of `names` the form sent (a field not sent is left out: not changed on edit)."""
    return {name: str(form[name]).strip() for name in names if isinstance(form.get(name), str)}


def body_of(values: Mapping[str, str], required: frozenset[str]) -> dict[str, str | None]:
    return {name: value if value or name in required else None for name, value in values.items()}


def _problems(exc: ValidationError | AppError, labels: Mapping[str, str]) -> tuple[int, dict[str, str], str | None]:
    """(status, {field: message}, notice above the form) of a refused save."""
    if isinstance(exc, PreconditionFailed):
        return 412, {}, STALE
    if isinstance(exc, Forbidden):
        return 403, {"region_code": OUTSIDE_REGION}, None
    status = 409 if isinstance(exc, Conflict) else 422
    errors = field_errors(exc, labels)
    return status, errors, errors.pop("", None)


REFUSED = (ValidationError, ValidationFailed, Conflict, Forbidden, PreconditionFailed)


def show(
    request: Request,
    settings: Settings,
    principal: Principal,
    reg: Register,
    values: Mapping[str, str],
    status_code: int = 200,
    *,
    record: Any = None,
    version: str | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    return page(
        request,
        settings,
        principal,
        reg.template,
        status_code,
        record=record,
        values=values,
        errors=errors or {},
        notice=notice,
        revision=version,
        choices=reg.choices,
        labels=reg.labels,
        required=reg.required,
        action=f"{reg.path}/{record.id}/edit" if record is not None else f"{reg.path}/new",
    )


async def writer_form(request: Request, db: Database, settings: Settings) -> tuple[Principal, FormData] | Response:
    """(the signed-in writer, the posted form), or the refusal (CSRF, role) / sign-in redirect."""
    return await allowed_form(request, db, settings, MANAGER_ROLES, NOT_ALLOWED)


def mount(router: APIRouter, reg: Register) -> None:
    """Add the register's four routes (GET/POST `new`, GET/POST `{id}/edit`) to `router`."""

    async def new_form(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
        principal = await allowed_user(request, db, settings, MANAGER_ROLES, NOT_ALLOWED)
        if isinstance(principal, Response):
            return principal
        return show(request, settings, principal, reg, reg.defaults(principal))

    async def create(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
        got = await writer_form(request, db, settings)
        if isinstance(got, Response):
            return got
        principal, form = got
        values = posted(form, reg.labels)
        try:
            data = reg.create_body.model_validate(body_of(values, reg.required))
            async with db.write_session() as session:
                record, _created = await reg.create(session, data, principal)
                ident = record.id
        except REFUSED as exc:
            status, errors, notice = _problems(exc, reg.labels)
            return show(request, settings, principal, reg, values, status, errors=errors, notice=notice)
        return see_other(f"{reg.path}/{ident}")

    async def edit_form(record_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
        async with db.query_session() as session:
            principal = await sessions.session_principal(session, request, settings.secret_key)
            if principal is None:
                return to_login(request)
            if not may_write(principal):
                return not_allowed(request, settings, principal, NOT_ALLOWED)
            record = await visible(session, reg.get, record_id, principal)
        if record is None:
            return not_found(request, settings, principal, reg.what, reg.path, reg.back_label)
        values = stored_values(record, reg.labels)
        return show(request, settings, principal, reg, values, record=record, version=revision(record))

    async def save(record_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
        got = await writer_form(request, db, settings)
        if isinstance(got, Response):
            return got
        principal, form = got
        ident = parse_id(record_id)
        sent = posted(form, reg.labels)
        version = str(form.get(REVISION_FIELD) or "")  # a page's edit is always checked: none sent is stale
        try:
            if ident is None:
                raise NotFound(record_id)
            data = reg.update_body.model_validate(body_of(sent, reg.required))
            async with db.write_session() as session:
                await reg.update(session, ident, data, principal, revision=version)
        except NotFound:
            return not_found(request, settings, principal, reg.what, reg.path, reg.back_label)
        except REFUSED as exc:
            status, errors, notice = _problems(exc, reg.labels)
            async with db.query_session() as session:
                record = await visible(session, reg.get, record_id, principal)
            if record is None:
                return not_found(request, settings, principal, reg.what, reg.path, reg.back_label)
            values = {**stored_values(record, reg.labels), **sent}
            return show(
                request, settings, principal, reg, values, status, record=record, version=version, errors=errors,
                notice=notice,
            )  # fmt: skip
        return see_other(f"{reg.path}/{ident}")

    router.add_api_route(reg.path + "/new", new_form, methods=["GET"])
    router.add_api_route(reg.path + "/new", create, methods=["POST"])
    router.add_api_route(reg.path + "/{record_id}/edit", edit_form, methods=["GET"])
    router.add_api_route(reg.path + "/{record_id}/edit", save, methods=["POST"])


async def visible(session: AsyncSession, get: Getter, raw_id: str, principal: Principal) -> Any:
    """The record of the id in the path through the API's own read (`get`), or None: not a UUID, unknown, or
    outside the caller's region (the page then answers the Chinese 404)."""
    ident = parse_id(raw_id)
    if ident is None:
        return None
    try:
        return await get(session, ident, principal)
    except NotFound:
        return None
