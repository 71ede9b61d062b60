"""Routes: /regions (行政区划). Thin: parse, call one service function, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import UploadFile

from app.auth.deps import AdminPrincipal, CurrentPrincipal
from app.core.errors import UnsupportedMediaType, ValidationFailed, problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.regions import csvfile, service
from app.regions.schemas import RegionImportResult, RegionRead, RegionWrite

router = APIRouter(prefix="/regions", tags=["regions"])


class _RegionCodeConvertor(Convertor[str]):
    """`{region_code:region_code}`: any path segment but `import`, so POST /regions/import has its path to itself
    (GET /regions/import is 405, not a 422 on a code named "import"). The code's rules are the parameter's."""

    regex = "(?!import$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("region_code", _RegionCodeConvertor())

RegionCodePath = Annotated[
    str, Path(pattern=r"^\d{2,12}$", description="行政区划代码, short form (50, 500240, 500240001)")
]
CSV_TYPES = ("text/csv", "text/plain", "application/csv")
CSV_EXAMPLE = "code,name\n500240,石柱土家族自治县\n500240001000,南宾街道\n500240002000,万安街道\n"
IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "the CSV file"}},
                "required": ["file"],
            }
        },
    },
}


@router.get("", response_model=Page[RegionRead], summary="List regions", responses=problem_responses(401, 422))
async def list_regions(
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    parent_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="children of this code")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[RegionRead]:
    """The regions of the caller's own subtree (its own region included), ordered by code."""
    items, next_cursor = await service.list_regions(session, principal, parent_code, q, cursor.position, limit)
    return Page(items=[RegionRead.model_validate(r) for r in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{region_code:region_code}",
    response_model=RegionRead,
    summary="One region",
    responses=problem_responses(401, 404, 422),
)
async def get_region(region_code: RegionCodePath, principal: CurrentPrincipal, session: ReadSession) -> RegionRead:
    return RegionRead.model_validate(await service.get_region(session, region_code, principal))


@router.put(
    "/{region_code:region_code}",
    response_model=RegionRead,
    summary="Name a region (create or rename)",
    responses={
        201: {"model": RegionRead, "description": "the code was new"},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def put_region(
    region_code: RegionCodePath, data: RegionWrite, principal: AdminPrincipal, session: WriteSession, response: Response
) -> RegionRead:
    """Admins, inside their region. 201 when the code was new, 200 when it changed (or not)."""
    region, created = await service.put_region(session, region_code, data, principal)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/regions/{region.code}"
    return RegionRead.model_validate(region)


async def _csv_bytes(request: Request) -> bytes:
    """The file: the body itself (text/csv) or the `file` part of a multipart form."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in CSV_TYPES:
        return await request.body()
    if media_type == "multipart/form-data":
        async with request.form() as form:  # closes the spooled upload files when done
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ValidationFailed.field(["body", "file"], "send the CSV as the form field 'file'")
            return await upload.read()
    raise UnsupportedMediaType(f"send the CSV as text/csv or as multipart/form-data, not {media_type or 'nothing'}")


@router.post(
    "/import",
    response_model=RegionImportResult,
    summary="Load regions from a CSV in the official list format (code,name[,parent_code])",
    openapi_extra={"requestBody": IMPORT_BODY},
    responses=problem_responses(401, 403, 409, 413, 415, 422),
)
async def import_regions(request: Request, principal: AdminPrincipal, session: WriteSession) -> RegionImportResult:
    """Admins, inside their region. Codes in GB/T 2260 or statistical (12-digit) form or short form; UTF-8
    or GBK. All rows or none: a wrong row is 422, a row outside your region 403, a sibling-name clash 409."""
    rows = csvfile.parse(await _csv_bytes(request))
    return await service.import_regions(session, rows, principal)
