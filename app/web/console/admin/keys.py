"""API密钥: `/console/admin/keys` (the list and the create form) and `/console/admin/keys/{key_id}/revoke`.
Thin: the API's own `auth.service` and `auth.queries` with the admin's principal.

Rules (those of `POST /api-keys` and `DELETE /api-keys/{key_id}`):
- A key is created inside the admin's region (a region outside it is 422 beside `行政区划代码`); a bad name or
  role is 422 beside its field; nothing is stored then.
- The key itself is shown once: in the answer to the create (200, `data-secret`, never redirected so it is
  never in a URL), never again — the list and every later page show only its name, role and region.
- 吊销 is immediate and cannot be undone (a revoked key is 401 at once); revoking twice changes nothing.
- Keys of other regions are neither listed nor revocable (the Chinese 404 page).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth import queries, service
from app.auth.schemas import ApiKeyCreate
from app.core.deps import SettingsDep
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.db.deps import DatabaseDep
from app.web.console.admin.common import (
    ADMIN,
    AdminList,
    admin_form,
    own_region,
    page_errors,
    parse,
    text_fields,
)
from app.web.console.forms import see_other
from app.web.console.queryform import not_found, parse_id

router = APIRouter(include_in_schema=False)
KEYS = ADMIN + "/keys"
LABELS = {"name": "名称", "role": "角色", "region_code": "行政区划代码"}


KEY_LIST = AdminList("admin/keys.html", queries.list_api_keys, own_region)


@router.get(KEYS)
async def key_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await KEY_LIST.get(request, db, settings)


@router.post(KEYS)
async def create_key(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, posted = found
    values = text_fields(posted, "name", "role", "region_code")
    try:
        data = parse(ApiKeyCreate, values)
        async with db.write_session() as session:
            created = await service.create_api_key(session, data, principal)
    except (ValidationError, ValidationFailed, Forbidden) as exc:
        errors, status_code = page_errors(exc, LABELS)
        return await KEY_LIST.show(request, db, settings, principal, values, errors, status_code)
    return await KEY_LIST.show(request, db, settings, principal, created=created)


@router.post(KEYS + "/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, _ = found
    ident = parse_id(key_id)
    try:
        if ident is None:
            raise NotFound(key_id)
        async with db.write_session() as session:
            await service.revoke_api_key(session, ident, principal)
    except NotFound:
        return not_found(request, settings, principal, "API密钥", KEYS, "返回API密钥")
    return see_other(KEYS)
