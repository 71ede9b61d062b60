"""Routes: /imports/{institutions|officers} (批量导入) and their templates. Thin: read the file, call the service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile

from app.auth.deps import CurrentPrincipal, ManagerPrincipal
from app.core.deps import SettingsDep
from app.core.errors import PROBLEM_JSON, UnsupportedMediaType, ValidationFailed, problem_responses
from app.db.deps import WriteSession
from app.imports import service, template
from app.imports.schemas import ImportKind, ImportProblem, ImportResult
from app.imports.sheet import read_upload

router = APIRouter(prefix="/imports", tags=["imports"])

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "XLSX or CSV"}},
                "required": ["file"],
            }
        }
    },
}
_REJECTED_SCHEMA = ImportProblem.model_json_schema(ref_template="#/components/schemas/{model}")
_REJECTED_SCHEMA.pop("$defs", None)  # ImportResult and its rows are components already (the 200's model)
REJECTED = {
    # Inline, not `model=`: FastAPI would also document an `application/json` body that is never sent.
    "content": {PROBLEM_JSON: {"schema": _REJECTED_SCHEMA}},
    "description": "the file cannot be read, or rows have errors (`result` lists each); nothing was stored",
}


@router.post(
    "/{kind}",
    response_model=ImportResult,
    summary="Import institutions or officers from an XLSX or CSV file (批量导入)",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={**problem_responses(401, 403, 409, 413, 415), 422: REJECTED},
)
async def import_file(
    kind: ImportKind,
    request: Request,
    principal: ManagerPrincipal,
    session: WriteSession,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="preview only: check every row, store nothing")] = False,
) -> ImportResult | Response:
    """Admins and supervisors, every row inside their region. The file is the multipart field `file`, with
    the template's headings in row 1 (GET /imports/{kind}/template). With `dry_run=true` the answer (200)
    says what each row would do and lists every error by row and column; nothing is stored. Without it the
    file is stored whole (200, counts of created / updated / unchanged) or not at all (422 with the same
    preview as `result`). A row matches a stored record by its 统一社会信用代码 / 执法证号, so importing the
    same file again changes nothing; an empty cell never clears a stored value."""
    data = await _upload(request, settings.IMPORT_MAX_BYTES)
    return await service.import_file(session, kind, data, principal, dry_run=dry_run, max_rows=settings.IMPORT_MAX_ROWS)


async def _upload(request: Request, max_bytes: int) -> bytes:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType(
            f"send the file as multipart/form-data (field 'file'), not {media_type or 'nothing'}"
        )
    async with request.form() as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.field(["file"], "send the file as the form field 'file'")
        return await read_upload(upload, max_bytes)


@router.get(
    "/{kind}/template",
    summary="The empty import template (Chinese headings)",
    response_class=Response,
    responses={
        200: {"description": "the template", "content": {template.XLSX: {}, "text/csv": {}}},
        **problem_responses(401, 422),
    },
)
async def get_template(
    kind: ImportKind,
    principal: CurrentPrincipal,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx (default) or csv (UTF-8 with BOM)")] = "xlsx",
) -> Response:
    body, media_type, headers = template.download(kind, format)
    return Response(body, media_type=media_type, headers=headers)
