"""批量导入: `/console/import`. Choose 导入类型, download the template, upload a file for the preview, then
确认导入. Thin: the same `app.imports.service.import_file` as POST /api/v1/imports/{kind}, with the session's
principal.

Rules:
- Admins and supervisors only (the service's rule); anyone else gets the page's 403 saying so.
- 上传预览 (POST /console/import, multipart) is the API's dry run: every row with what storing would do to it,
  and each error as `第N行` + the column heading + the Chinese message; a file that cannot be read at all (old
  .xls, too large, too many rows, bad encoding) is the message beside `文件` (413 / 422). Nothing is stored.
- The previewed file stays on the server for 15 minutes under a signed token (app.web.console.upload_store);
  确认导入 (POST /console/import/confirm) posts only that token, imports all rows or none, and redirects (303)
  to the page with the counts. Rows that have become wrong since the preview show as in the preview (422).
- 下载模板 (GET /console/import/template?kind=&format=xlsx|csv) serves the API's own templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from app.auth.principals import Principal
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import Forbidden, PayloadTooLarge, ValidationFailed
from app.core.messages_zh import business_message
from app.db.deps import DatabaseDep
from app.db.session import Database
from app.imports import service, template
from app.imports.schemas import ImportKind, ImportResult
from app.imports.service import ImportRejected
from app.imports.sheet import read_upload
from app.web.console import sessions, upload_store
from app.web.console.forms import form_user, see_other
from app.web.console.pages import page, to_login

router = APIRouter(include_in_schema=False)
IMPORT = "/console/import"
KINDS = {ImportKind.institutions: "机构", ImportKind.officers: "执法人员"}
ACTIONS = {"create": "新增", "update": "更新", "unchanged": "无变化", "invalid": "有误"}
NOT_MANAGER = "只有管理员和监管人员可以批量导入。"
EXPIRED = "预览已过期或已导入,请重新选择文件并上传预览。"


def _kind(value: Any) -> ImportKind:
    return ImportKind(value) if value in ImportKind.__members__ else ImportKind.institutions


def _view(
    request: Request,
    settings: Settings,
    principal: Principal,
    kind: ImportKind,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return page(
        request,
        settings,
        principal,
        "imports.html",
        status_code,
        active="import",
        kind=kind,
        kinds=KINDS,
        actions=ACTIONS,
        **context,
    )


def _refused_role(request: Request, settings: Settings, principal: Principal, kind: ImportKind) -> Response | None:
    try:
        service.ensure_manager(principal)
    except Forbidden:
        return _view(request, settings, principal, kind, 403, refused=NOT_MANAGER)
    return None


async def _signed_in(request: Request, db: Database, settings: Settings) -> Principal | Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    return to_login(request) if principal is None else principal


@router.get(IMPORT)
async def import_page(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await _signed_in(request, db, settings)
    if isinstance(principal, Response):
        return principal
    kind = _kind(request.query_params.get("kind"))
    if (refusal := _refused_role(request, settings, principal, kind)) is not None:
        return refusal
    counts = {k: request.query_params.get(k) for k in ("created", "updated", "unchanged")}
    done = counts if all(v is not None and v.isdigit() for v in counts.values()) else None
    return _view(request, settings, principal, kind, done=done)


@router.get(IMPORT + "/template")
async def import_template(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await _signed_in(request, db, settings)
    if isinstance(principal, Response):
        return principal
    kind = _kind(request.query_params.get("kind"))
    body, media_type, headers = template.download(
        kind, "csv" if request.query_params.get("format") == "csv" else "xlsx"
    )
    return Response(body, media_type=media_type, headers=headers)


def _preview(
    request: Request, settings: Settings, principal: Principal, kind: ImportKind, result: ImportResult, **extra: Any
) -> Response:
    heading_errors = [e for e in result.errors if e.row == 1]
    by_row: dict[int, list[Any]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error)
    status_code = 422 if result.errors else 200
    return _view(
        request,
        settings,
        principal,
        kind,
        status_code,
        result=result,
        heading_errors=heading_errors,
        by_row=by_row,
        **extra,
    )


@router.post(IMPORT)
async def upload_preview(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    checked = await form_user(request, db, settings)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    try:
        return await _upload_preview(request, db, settings, principal, form)
    finally:
        if isinstance(form, FormData):
            await form.close()  # the spooled upload


async def _upload_preview(
    request: Request, db: Database, settings: Settings, principal: Principal, form: Mapping[str, Any]
) -> Response:
    kind = _kind(form.get("kind"))
    if (refusal := _refused_role(request, settings, principal, kind)) is not None:
        return refusal
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.field(["file"], "send the file as the form field 'file'")
        data = await read_upload(upload, settings.IMPORT_MAX_BYTES)
        async with db.query_session() as session:
            result = await service.import_file(
                session, kind, data, principal, dry_run=True, max_rows=settings.IMPORT_MAX_ROWS
            )
    except (ValidationFailed, PayloadTooLarge) as exc:
        return _file_error(request, settings, principal, kind, exc)
    token = None
    if not result.errors:
        token = upload_store.keep(settings.DATA_DIR, settings.secret_key, principal.id, kind.value, data)
    return _preview(request, settings, principal, kind, result, token=token, filename=upload.filename)


def _file_error(
    request: Request,
    settings: Settings,
    principal: Principal,
    kind: ImportKind,
    exc: ValidationFailed | PayloadTooLarge,
) -> Response:
    msg = exc.errors[0].msg if exc.errors else exc.detail
    return _view(request, settings, principal, kind, exc.status, file_error=business_message(msg, "文件"))


@router.post(IMPORT + "/confirm")
async def confirm_import(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    checked = await form_user(request, db, settings)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    kind = _kind(form.get("kind"))
    if (refusal := _refused_role(request, settings, principal, kind)) is not None:
        return refusal
    token = str(form.get("token") or "")
    data = upload_store.load(settings.DATA_DIR, settings.secret_key, principal.id, kind.value, token)
    if data is None:
        return _view(request, settings, principal, kind, 422, file_error=EXPIRED)
    try:
        async with db.write_session() as session:
            result = await service.import_file(
                session, kind, data, principal, dry_run=False, max_rows=settings.IMPORT_MAX_ROWS
            )
    except ImportRejected as exc:
        return _preview(request, settings, principal, kind, exc.result, token=None, filename=None)
    upload_store.forget(settings.DATA_DIR, settings.secret_key, principal.id, kind.value, token)
    counts: Mapping[str, Any] = {
        "kind": kind.value,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return see_other(f"{root}{IMPORT}?{urlencode(counts)}")
