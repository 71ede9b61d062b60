"""批量导入: one file of institutions or officers, checked row by row, then stored whole or not at all.

Rules:
- Admins and supervisors only (as the create routes), every row inside the caller's region
  (`scoping.ensure_writable`, the create route's own check; a row outside is an error on 行政区划代码).
- Each row is validated by the create route's schema (`InstitutionCreate`, `OfficerCreate`); each error is
  reported with its spreadsheet row (heading = row 1), column heading, field and a Chinese message
  (app.core.messages_zh). Row 1 is checked first: an unknown, repeated or missing required heading stops there.
- A row matches a stored record by its key (统一社会信用代码 / 执法证号); a row without a key matches a stored
  record of the caller's region without a key and with the same 机构名称 + 行政区划代码 (officers: 姓名 +
  所在单位 + 行政区划代码). Matched and equal on every filled-in cell: `unchanged`; differing: `update` (the
  filled-in cells are written; an empty cell never clears a stored value); no match: `create` (the schema's
  defaults apply, e.g. status active, 证件状态 有效). So importing the same file again changes nothing.
- A key held by a record outside the caller's region, a key or name given twice in the file, a name matching
  several stored records: errors on that row.
- Any error and nothing is stored (the preview answers it; a real import raises `ImportRejected`, 422). A dry
  run never writes. A real import writes every row in one transaction, committed once here.
- Neither create route writes an event today, so an import writes none either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.models import Role
from app.auth.principals import Principal
from app.core.errors import FieldError, Forbidden, ValidationFailed
from app.core.messages_zh import business_message, pydantic_message
from app.db.replay import fingerprint
from app.db.versions import touch
from app.imports.columns import COLUMNS, BadChoice, Column, heading_of
from app.imports.schemas import ImportKind, ImportProblem, ImportResult, RowAction, RowError, RowPreview
from app.imports.sheet import Table, read_table
from app.institutions.models import Institution
from app.institutions.schemas import InstitutionCreate
from app.officers.models import Officer
from app.officers.schemas import OfficerCreate
from app.officers.service import ensure_dates_ordered

MANAGERS = (Role.admin, Role.supervisor)
CHUNK = 500  # keys per IN (...) lookup


@dataclass(frozen=True, slots=True)
class Register:
    model: type[Institution] | type[Officer]
    schema: type[InstitutionCreate] | type[OfficerCreate]
    key: str
    by_name: tuple[str, ...]


REGISTERS = {
    ImportKind.institutions: Register(Institution, InstitutionCreate, "credit_code", ("name", "region_code")),
    ImportKind.officers: Register(Officer, OfficerCreate, "certificate_no", ("name", "unit", "region_code")),
}


class ImportRejected(ValidationFailed):
    """422: the file has errors; nothing was stored. The body carries the whole preview."""

    def __init__(self, result: ImportResult) -> None:
        first = result.errors[0]
        super().__init__(
            f"{len(result.errors)} error(s), the first on row {first.row}; nothing was imported",
            errors=[FieldError(loc=["file", e.row, e.field or e.column], msg=e.message) for e in result.errors],
        )
        self.result = result

    def to_problem(self, instance: str | None = None) -> ImportProblem:
        return ImportProblem(**super().to_problem(instance).model_dump(), result=self.result)


@dataclass(slots=True)
class _Row:
    number: int
    name: str
    key: str | None
    data: InstitutionCreate | OfficerCreate | None = None
    record: Any = None
    action: RowAction = "invalid"


def _error(row: int, column: Column | None, msg: str, heading: str = "") -> RowError:
    label = column.heading if column else heading
    return RowError(row=row, column=label, field=column.field if column else None, message=business_message(msg, label))


def _columns(kind: ImportKind, headings: Sequence[Any]) -> tuple[dict[int, Column], list[RowError]]:
    """Row 1: {cell index: column}, or the errors of its headings."""
    known = {c.heading: c for c in COLUMNS[kind]}
    found: dict[int, Column] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(headings):
        heading = heading_of(cell)
        if not heading:
            continue
        column = known.get(heading)
        if column is None:
            errors.append(_error(1, None, "unknown column", heading))
        elif column in found.values():
            errors.append(_error(1, column, "column given twice"))
        else:
            found[index] = column
    for column in known.values():
        if column.required and column not in found.values():
            errors.append(_error(1, column, "a required column is missing"))
    return found, errors


def _parse_row(
    kind: ImportKind, columns: dict[int, Column], number: int, cells: list[Any], actor: Principal
) -> tuple[_Row, list[RowError]]:
    register = REGISTERS[kind]
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(cells):
        column = columns.get(index)
        if column is None:
            if raw is not None and str(raw).strip():
                errors.append(_error(number, None, "a value under no heading", f"第{index + 1}列"))
            continue
        try:
            value = column.convert(raw)
        except BadChoice as exc:
            errors.append(_error(number, column, str(exc)))
            continue
        if value is not None:
            values[column.field] = value
    by_field = {c.field: c for c in columns.values()}
    row = _Row(number, str(values.get("name", "")), values.get(register.key))
    try:
        row.data = register.schema.model_validate(values)
    except ValidationError as exc:
        for item in exc.errors():
            column = by_field.get(str(item["loc"][0])) if item["loc"] else None
            label = column.heading if column else ""
            errors.append(
                RowError(
                    row=number,
                    column=label,
                    field=column.field if column else None,
                    message=pydantic_message(dict(item), label),
                )
            )
    if row.data is not None:
        row.key = getattr(row.data, register.key)
        try:
            scoping.ensure_writable(actor, row.data.region_code)
        except Forbidden as exc:
            errors.append(_error(number, by_field["region_code"], exc.detail))
    return row, errors


def _name_of(register: Register, source: Any) -> tuple[Any, ...]:
    return tuple(getattr(source, f) for f in register.by_name)


async def _stored(session: AsyncSession, register: Register, rows: list[_Row]) -> tuple[dict[str, Any], list[Any]]:
    """({key: stored record} for the rows' keys, the stored records without a key named as a keyless row)."""
    model, key = register.model, getattr(register.model, register.key)
    keys = sorted({r.key for r in rows if r.key})
    by_key: dict[str, Any] = {}
    for start in range(0, len(keys), CHUNK):
        found = await session.execute(select(model).where(key.in_(keys[start : start + CHUNK])))
        by_key |= {getattr(r, register.key): r for r in found.scalars()}
    names = sorted({r.data.name for r in rows if not r.key and r.data is not None})
    keyless: list[Any] = []
    for start in range(0, len(names), CHUNK):
        found = await session.execute(select(model).where(model.name.in_(names[start : start + CHUNK]), key.is_(None)))
        keyless += list(found.scalars())
    return by_key, keyless


def _match(
    register: Register, row: _Row, by_key: dict[str, Any], keyless: list[Any], actor: Principal
) -> tuple[str, str] | None:
    """Set the row's record and action; (field, English rule message) when the row cannot be stored."""
    data = row.data
    assert data is not None
    if row.key:
        record = by_key.get(row.key)
        if record is not None and not scoping.can_see(actor, record.region_code):
            return register.key, f"{register.key} '{row.key}' is already taken"
    else:
        same = [r for r in keyless if _name_of(register, r) == _name_of(register, data)]
        same = [r for r in same if scoping.can_see(actor, r.region_code)]
        if len(same) > 1:
            return "name", f"matches {len(same)} stored records by name"
        record = same[0] if same else None
    if record is None:
        row.action = "create"
        return None
    changes = data.model_dump(exclude_unset=True)
    if isinstance(record, Officer):
        try:
            ensure_dates_ordered(record, changes)
        except ValidationFailed as exc:
            return "certificate_expires_on", (exc.errors or [])[0].msg
    row.record = record
    row.action = "update" if any(getattr(record, f) != v for f, v in changes.items()) else "unchanged"
    return None


def _repeats(kind: ImportKind, register: Register, rows: list[_Row]) -> list[RowError]:
    """A key, or a keyless row's name, given twice: an error on the later row."""
    errors: list[RowError] = []
    first: dict[Any, int] = {}
    columns = {c.field: c for c in COLUMNS[kind]}
    for row in rows:
        assert row.data is not None
        seen = row.key or _name_of(register, row.data)
        field = register.key if row.key else "name"
        if seen in first:
            errors.append(_error(row.number, columns[field], f"the same as row {first[seen]}"))
        else:
            first[seen] = row.number
    return errors


def ensure_manager(actor: Principal) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden(f"role '{actor.role}' may not import (needs admin or supervisor)")


async def import_file(
    session: AsyncSession, kind: ImportKind, data: bytes, actor: Principal, *, dry_run: bool, max_rows: int
) -> ImportResult:
    """The preview (dry run) or the stored import of one file; a real import with errors raises ImportRejected."""
    ensure_manager(actor)
    register = REGISTERS[kind]
    table: Table = read_table(data, max_rows)
    columns, errors = _columns(kind, table.headings)
    rows: list[_Row] = []
    if not errors:
        for number, cells in table.rows:
            row, wrong = _parse_row(kind, columns, number, cells, actor)
            rows.append(row)
            errors += wrong
        valid = [r for r in rows if r.data is not None and not any(e.row == r.number for e in errors)]
        errors += _repeats(kind, register, valid)
        valid = [r for r in valid if not any(e.row == r.number for e in errors)]
        by_key, keyless = await _stored(session, register, valid)
        by_field = {c.field: c for c in COLUMNS[kind]}
        for row in valid:
            problem = _match(register, row, by_key, keyless, actor)
            if problem is not None:
                errors.append(_error(row.number, by_field[problem[0]], problem[1]))
    errors.sort(key=lambda e: e.row)
    for row in rows:
        if any(e.row == row.number for e in errors):
            row.action, row.record = "invalid", None
    result = ImportResult(
        kind=kind,
        dry_run=dry_run,
        stored=False,
        total=len(table.rows),
        created=sum(r.action == "create" for r in rows),
        updated=sum(r.action == "update" for r in rows),
        unchanged=sum(r.action == "unchanged" for r in rows),
        rows=[RowPreview(row=r.number, name=r.name, key=r.key, action=r.action) for r in rows],
        errors=errors,
    )
    if errors and not dry_run:
        raise ImportRejected(result)
    if dry_run:
        return result
    for row in rows:
        assert row.data is not None
        if row.action == "create":
            session.add(register.model(**row.data.model_dump(exclude={"id"}), create_fingerprint=fingerprint(row.data)))
        elif row.action == "update":
            touch(session, row.record.region_code)
            for name, value in row.data.model_dump(exclude_unset=True).items():
                setattr(row.record, name, value)
        if row.action in ("create", "update"):
            touch(session, row.data.region_code)
    await session.commit()
    return result.model_copy(update={"stored": True})
