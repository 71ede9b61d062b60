"""用户: `/console/admin/users` (the list and the create form) and `/console/admin/users/{user_id}` (change role,
region, linked officer or password; 停用 / 启用). Thin: the API's own `auth.service` and `auth.queries` with the admin's
principal.

Rules (those of `POST /users` and `PATCH /users/{user_id}`):
- A user is created and changed inside the admin's region only: a region outside it is 422 beside
  `行政区划代码`; users of other regions are neither listed nor found (the Chinese 404 page).
- `关联执法人员` offers the officers of the admin's region (an inspector records only inspections its officer
  takes part in); an officer linked to another user is 409 beside it.
- A username taken (regardless of case) is 409 beside `用户名`; every other bad value is 422 beside its field;
  nothing is stored then, and the form keeps what was typed (never the password).
- 停用 takes effect at once: the user's open sessions (console, tokens) stop working (`sessions_valid_after`);
  启用 does not revive them. A new password also ends them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import queries, service
from app.auth.principals import Principal
from app.auth.schemas import UserCreate, UserRead, UserUpdate
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.db.deps import DatabaseDep
from app.db.session import Database
from app.officers import service as officers
from app.web.console.admin.common import (
    ADMIN,
    ROLE_LABELS,
    AdminList,
    admin_form,
    admin_viewer,
    own_region,
    page_errors,
    parse,
    text_fields,
)
from app.web.console.forms import see_other
from app.web.console.pages import page
from app.web.console.queryform import not_found, parse_id

router = APIRouter(include_in_schema=False)
USERS = ADMIN + "/users"
LABELS = {
    "username": "用户名",
    "password": "密码",
    "role": "角色",
    "region_code": "行政区划代码",
    "officer_id": "关联执法人员",
}
CREATE_FIELDS = ("username", "password", "role", "region_code", "officer_id")
OFFICER_CHOICES = 500  # officers offered for 关联执法人员, by name


async def officer_choices(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """The officers of the admin's region a user can be linked to (an inspector records only its own
    inspections), as `{id: 姓名(所在单位)}`, and whether there were more than shown."""
    found, more = await officers.list_officers(session, principal, officers.OfficerFilters(), None, OFFICER_CHOICES)
    return {"officers": {str(o.id): f"{o.name}({o.unit})" for o in found}, "more_officers": more is not None}


USER_LIST = AdminList("admin/users.html", queries.list_users, own_region, more=officer_choices)


@router.get(USERS)
async def user_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await USER_LIST.get(request, db, settings)


@router.post(USERS)
async def create_user(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, posted = found
    values = text_fields(posted, *CREATE_FIELDS)
    try:
        data = parse(UserCreate, values)
        async with db.write_session() as session:
            user = await service.create_user(session, data, principal, request.app.state.officer_region)
    except (ValidationError, ValidationFailed, Conflict, Forbidden) as exc:
        errors, status_code = page_errors(exc, LABELS)
        return await USER_LIST.show(request, db, settings, principal, values | {"password": ""}, errors, status_code)
    return see_other(f"{USERS}/{user.id}")


async def _detail(
    request: Request,
    db: Database,
    settings: Settings,
    principal: Principal,
    user_id: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ident = parse_id(user_id)
    try:
        if ident is None:
            raise NotFound(user_id)
        async with db.query_session() as session:
            user = UserRead.model_validate(await queries.get_user(session, ident, principal))
            choices = await officer_choices(session, principal)
    except NotFound:
        return not_found(request, settings, principal, "用户", USERS, "返回用户列表")
    linked = str(user.officer_id) if user.officer_id else ""
    shown = form or {"role": user.role.value, "region_code": user.region_code, "officer_id": linked}
    context = {"u": user, "form": shown, "errors": errors or {}, "roles": ROLE_LABELS, "own": user.id == principal.id}
    context |= choices
    return page(request, settings, principal, "admin/user.html", status_code, active="admin", **context)


@router.get(USERS + "/{user_id}")
async def user_detail(user_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await admin_viewer(request, db, settings)
    if isinstance(principal, Response):
        return principal
    return await _detail(request, db, settings, principal, user_id)


def _change(action: str, values: dict[str, str]) -> UserUpdate:
    """The `PATCH /users/{user_id}` body of one of the page's forms."""
    if action == "disable":
        return UserUpdate(is_active=False)
    if action == "enable":
        return UserUpdate(is_active=True)
    changes: dict[str, Any] = {k: values[k] for k in ("role", "region_code", "password")}
    return parse(UserUpdate, changes | {"officer_id": values["officer_id"] or None})  # none chosen: unlink


@router.post(USERS + "/{user_id}")
async def change_user(user_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """One form per change: `action` = save (角色, 行政区划代码, 关联执法人员, 新密码), disable (停用) or enable
    (启用)."""
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, posted = found
    values = text_fields(posted, "action", "role", "region_code", "password", "officer_id")
    ident = parse_id(user_id)
    if ident is None:
        return await _detail(request, db, settings, principal, user_id)
    try:
        data = _change(values["action"], values)
        async with db.write_session() as session:
            await service.update_user(session, ident, data, principal, request.app.state.officer_region)
    except NotFound:
        return await _detail(request, db, settings, principal, user_id)
    except (ValidationError, ValidationFailed, Conflict, Forbidden) as exc:
        errors, status_code = page_errors(exc, LABELS)
        shown = values | {"password": ""}
        return await _detail(request, db, settings, principal, user_id, shown, errors, status_code)
    return see_other(f"{USERS}/{ident}")
