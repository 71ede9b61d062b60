"""隐患台账 in the console: `/console/hazards` and its two ledger downloads (the hazard page itself:
app.web.console.hazard_page). Thin: check the session, parse, call the same query and
service functions as the API routes with the session's principal, render.

Rules:
- The ledger takes the API's list filters under the API's names (`status`, `severity`, `category`, `kind`,
  `region_code`, `found_from`, `found_to`, `overdue`, `institution_id`) and its `cursor`; default: every year,
  `PAGE_SIZE` a page, most recently found first (`hazards.queries.list_hazards`).
- Each filter is checked by the type the API's own dependency (`app.hazards.deps.hazard_filters`) declares for
  it, read from that function's signature, and the filters are built by calling it: no second copy of a rule.
  A value it refuses is 422 with a Chinese message beside its control; a `region_code` outside the caller's
  region is 403 (the API's answer) with the message beside 乡镇/街道; a cursor not issued for this list is 422.
- 导出CSV / 导出Excel are console routes (the API's exports want a bearer token, a page holds a cookie): the
  same ledger statement and writers as GET /exports/hazards.csv|.xlsx, the same per-credential limit (429).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.deps import SettingsDep
from app.core.errors import Forbidden, TooManyRequests, ValidationFailed
from app.core.pagination import page_cursor
from app.db.deps import DatabaseDep, ReplicaDatabase
from app.exports import service as export_service
from app.exports.queries import ledger_statement
from app.exports.spool import ExportGate, spooled
from app.hazards import queries
from app.hazards.deps import hazard_filters
from app.hazards.models import HazardCategory, HazardStatus, Severity
from app.institutions.models import InstitutionKind
from app.regions import service as region_service
from app.reports import labels
from app.web.console import sessions
from app.web.console.pages import page, render, to_login

router = APIRouter(include_in_schema=False)
LEDGER = "/console/hazards"
PAGE_SIZE = 50
REGION_OPTIONS_MAX = 500  # more regions than this in the caller's scope: 乡镇/街道 is typed as a code instead
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CONTROL_LABEL = {
    "status": "状态",
    "severity": "等级",
    "category": "类别",
    "kind": "机构类型",
    "region_code": "乡镇/街道",
    "found_from": "发现日期(起)",
    "found_to": "发现日期(止)",
    "overdue": "逾期",
    "institution_id": "机构",
    "due_from": "整改期限(起)",
    "due_to": "整改期限(止)",
    "escalation_level": "督办级别",
}
CHOICE_MESSAGE = "{label}无效,请从列表中选择"
MESSAGES = {
    "region_code": "乡镇/街道应为 1—12 位数字的行政区划代码,例如 500240",
    "found_from": "请填写有效日期,格式为 YYYY-MM-DD,例如 2023-05-04",
    "found_to": "请填写有效日期,格式为 YYYY-MM-DD,例如 2023-12-31",
    "overdue": "逾期应选择“是”或“否”",
    "institution_id": "机构编号无效,请从机构页面进入",
    "due_from": "请填写有效日期,格式为 YYYY-MM-DD,例如 2023-05-04",
    "due_to": "请填写有效日期,格式为 YYYY-MM-DD,例如 2023-12-31",
}
OUTSIDE_REGION = "该地区不在您的管辖范围内,请选择您辖区内的乡镇/街道"
BAD_CURSOR = "翻页参数无效或已过期,请重新点击“查询”从第一页开始"
EXPORT_BUSY = "您已有导出正在进行,请等待其完成后再试(约 {seconds} 秒)"


def _api_parameters() -> dict[str, tuple[str, TypeAdapter[Any]]]:
    """query name → (the API dependency's parameter name, a validator of its declared type)."""
    hints = typing.get_type_hints(hazard_filters, include_extras=True)
    found: dict[str, tuple[str, TypeAdapter[Any]]] = {}
    for name in inspect.signature(hazard_filters).parameters:
        hint = hints[name]
        if hint is Request:  # the app (for the escalation filter's SQL), not a query parameter
            continue
        alias = next((m.alias for m in getattr(hint, "__metadata__", ()) if getattr(m, "alias", None)), None)
        found[alias or name] = (name, TypeAdapter(hint))
    return found


PARAMETERS = _api_parameters()


async def parse_filters(request: Request) -> tuple[queries.HazardFilters, dict[str, str], dict[str, str]]:
    """(the filters, the values as typed, a message per refused field); an empty value is no filter."""
    params = request.query_params
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    arguments: dict[str, Any] = {"request": request}
    for query_name, (name, adapter) in PARAMETERS.items():
        raw = params.get(query_name, "").strip()
        values[query_name] = raw
        if raw == "":
            continue
        try:
            arguments[name] = adapter.validate_python(raw)
        except ValidationError:
            label = CONTROL_LABEL.get(query_name, query_name)
            errors[query_name] = MESSAGES.get(query_name, CHOICE_MESSAGE.format(label=label))
    return await hazard_filters(**arguments), values, errors


def _choices(enum: type[Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(member.value, names.get(member.value, member.value)) for member in enum]


STATIC_OPTIONS = {
    "status": _choices(HazardStatus, labels.STATUS),
    "severity": _choices(Severity, labels.SEVERITY),
    "category": _choices(HazardCategory, labels.CATEGORY),
    "kind": _choices(InstitutionKind, labels.KIND),
    "overdue": [("true", "是"), ("false", "否")],
}


def _query(values: Mapping[str, str], **extra: str) -> str:
    pairs = [(k, v) for k, v in values.items() if v] + [(k, v) for k, v in extra.items() if v]
    return urlencode(pairs)


async def _region_options(db: DatabaseDep, principal: Principal) -> list[tuple[str, str]] | None:
    """The regions of the caller's scope in the register (code, name), or None when there are too many to list."""
    async with db.query_session() as session:
        regions, more = await region_service.list_regions(session, principal, None, None, None, REGION_OPTIONS_MAX)
    if more is not None:
        return None
    return [(r.code, r.name) for r in regions]


@router.get(LEDGER)
async def ledger(request: Request, db: DatabaseDep, replica: ReplicaDatabase, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is None:
        return to_login(request)
    filters, values, errors = await parse_filters(request)
    status_code = 422 if errors else 200
    rows: list[Any] = []
    next_url: str | None = None
    cursor_raw = request.query_params.get("cursor")
    if not errors:
        try:
            cursor = await page_cursor(request, cursor_raw)
            async with replica.query_session() as session:
                rows, position = await queries.list_hazards(session, principal, filters, cursor.position, PAGE_SIZE)
            issued = cursor.issue(position)
            next_url = f"{LEDGER}?{_query(values, cursor=issued)}" if issued else None
        except Forbidden:
            errors["region_code"], status_code = OUTSIDE_REGION, 403
        except ValidationFailed:
            errors["cursor"], status_code = BAD_CURSOR, 422
    query = _query(values)
    return await _ledger_page(
        request,
        db,
        settings,
        principal,
        status_code,
        values,
        errors,
        rows=rows,
        next_url=next_url,
        first_url=f"{LEDGER}?{query}" if cursor_raw else None,
        csv_url=f"{LEDGER}/export.csv" + (f"?{query}" if query else ""),
        xlsx_url=f"{LEDGER}/export.xlsx" + (f"?{query}" if query else ""),
        filtered=any(values.values()),
    )


async def _ledger_page(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Principal,
    status_code: int,
    values: dict[str, str],
    errors: dict[str, str],
    **context: Any,
) -> HTMLResponse:
    """The ledger page with its filter controls (the values as typed, a message beside each refused one)."""
    return page(
        request,
        settings,
        principal,
        "hazards.html",
        status_code,
        active="hazards",
        values=values,
        errors=errors,
        options=STATIC_OPTIONS,
        regions=await _region_options(db, principal),
        labels=labels,
        **context,
    )


def _disposition(extension: str) -> str:
    """The same file name as the API's ledger download: 隐患台账-<today>.<extension>."""
    name = quote(f"隐患台账-{clock.today().isoformat()}.{extension}")
    return f"attachment; filename=\"hazards.{extension}\"; filename*=UTF-8''{name}"


async def _export(
    request: Request, db: DatabaseDep, replica: ReplicaDatabase, settings: SettingsDep, extension: str
) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
    if principal is None:
        return to_login(request)
    filters, values, errors = await parse_filters(request)
    status_code = 422
    if not errors:
        try:
            prefix = scoping.effective_prefix(principal, filters.region_code)
            stmt = ledger_statement(principal, filters, replica.engine.dialect.name)
            if extension == "csv":
                writer = partial(export_service.write_csv, replica, stmt)
                media_type = "text/csv; charset=utf-8"
            else:
                title = await export_service.ledger_title(replica, prefix, filters.found_from, filters.found_to)
                writer = partial(export_service.write_xlsx, replica, stmt, title)
                media_type = XLSX
            gate: ExportGate = request.app.state.export_gate
            return await spooled(
                gate,
                principal,
                settings.DATA_DIR / "exports",
                writer,
                media_type=media_type,
                headers={"Content-Disposition": _disposition(extension)},
            )
        except Forbidden:
            errors["region_code"], status_code = OUTSIDE_REGION, 403
        except TooManyRequests as exc:
            seconds = (exc.headers or {}).get("Retry-After", "10")
            message = EXPORT_BUSY.format(seconds=seconds)
            return render(request, "refused.html", status_code=429, message=message, user=None)
    return await _ledger_page(
        request,
        db,
        settings,
        principal,
        status_code,
        values,
        errors,
        rows=[],
        next_url=None,
        first_url=None,
        csv_url=None,
        xlsx_url=None,
        filtered=True,
    )


@router.get(f"{LEDGER}/export.csv")
async def export_csv(request: Request, db: DatabaseDep, replica: ReplicaDatabase, settings: SettingsDep) -> Response:
    return await _export(request, db, replica, settings, "csv")


@router.get(f"{LEDGER}/export.xlsx")
async def export_xlsx(request: Request, db: DatabaseDep, replica: ReplicaDatabase, settings: SettingsDep) -> Response:
    return await _export(request, db, replica, settings, "xlsx")
