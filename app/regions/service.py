"""Regions use cases. Each write commits once.

Rules:
- Everyone reads the regions of their own subtree (their own region included); a code outside it reads as
  404. Only admins write, and only codes inside their own region (403 outside); the parent may lie outside
  (a county admin names the county's townships under a province it cannot touch).
- PUT creates (201) or renames / re-parents (200) one code; it is idempotent.
- Sibling names are unique: a name already used under the same parent is 409 naming `name`.
- An import is all rows or none: any wrong row is 422 (app.regions.csvfile), any row outside the caller's
  region 403, any sibling-name clash 409; nothing is written then.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.core.pagination import page_of, paginate
from app.db.versions import touch
from app.regions import codes, queries
from app.regions.csvfile import ImportRow
from app.regions.models import Region
from app.regions.schemas import RegionImportResult, RegionWrite

MAX_LISTED = 20  # rows named in one 403 / 409


async def get_region(session: AsyncSession, code: str, actor: Principal) -> Region:
    region = await session.get(Region, code)
    if region is None or not scoping.can_see(actor, code):
        raise NotFound(f"region {code} not found")
    return region


async def list_regions(
    session: AsyncSession, actor: Principal, parent_code: str | None, q: str | None, cursor: str | None, limit: int
) -> tuple[list[Region], str | None]:
    """Ordered by code (a parent before its children)."""
    stmt = paginate(queries.list_statement(actor, parent_code, q), [Region.code], cursor, limit, parse=[str])
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda r: [r.code])


def _name_taken(name: str, holder: str) -> Conflict:
    return Conflict(
        f"name '{name}' is already used by region {holder} under the same parent",
        errors=[FieldError(loc=["body", "name"], msg=f"already used by {holder}")],
    )


async def put_region(session: AsyncSession, code: str, data: RegionWrite, actor: Principal) -> tuple[Region, bool]:
    """Create (True) or change (False) the region `code`."""
    if (problem := codes.code_problem(code)) is not None:
        raise ValidationFailed.field(["path", "region_code"], problem)
    scoping.ensure_writable(actor, code)
    if data.parent_code is not None and (problem := codes.parent_problem(code, data.parent_code)) is not None:
        raise ValidationFailed.field(["body", "parent_code"], problem)
    parent = data.parent_code if data.parent_code is not None else codes.parent_of(code)
    siblings = await queries.children_names(session, [parent])
    holder = next((c for c, (_, name) in siblings.items() if name == data.name and c != code), None)
    if holder is not None:
        raise _name_taken(data.name, holder)
    region = await session.get(Region, code)
    created = region is None
    if region is None:
        region = Region(code=code, name=data.name, parent_code=parent)
        session.add(region)
    else:
        region.name, region.parent_code = data.name, parent
    touch(session, code)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent write took the name or the code first
        await session.rollback()
        raise Conflict(
            f"region {code} or the name '{data.name}' was written concurrently; send the request again",
            errors=[FieldError(loc=["body", "name"], msg="written concurrently")],
        ) from exc
    return region, created


def _outside(actor: Principal, rows: list[ImportRow]) -> None:
    outside = [r for r in rows if not scoping.within(actor.region_code, r.code)]
    if outside:
        raise Forbidden(
            f"{len(outside)} row(s) lie outside your region '{actor.region_code}', first on line {outside[0].line}; "
            "nothing was imported",
            errors=[
                FieldError(loc=["body", r.line, "code"], msg=f"{r.code} lies outside your region")
                for r in outside[:MAX_LISTED]
            ],
        )


async def _clashes(session: AsyncSession, rows: list[ImportRow]) -> None:
    """409 when, after the import, two codes would share a name under one parent."""
    final = await queries.children_names(session, {r.parent_code for r in rows})
    line_of = {r.code: r.line for r in rows}
    final.update({r.code: (r.parent_code, r.name) for r in rows})
    holders: dict[tuple[str | None, str], list[str]] = {}
    for code, key in final.items():
        holders.setdefault(key, []).append(code)
    errors = []
    for (_, name), held in holders.items():
        if len(held) < 2:
            continue
        for code in (c for c in held if c in line_of):
            others = ", ".join(c for c in held if c != code)
            errors.append(FieldError(loc=["body", line_of[code], "name"], msg=f"'{name}' is also the name of {others}"))
    if errors:
        errors.sort(key=lambda e: int(e.loc[1]))
        raise Conflict(
            f"{len(errors)} row(s) would give a name twice under one parent, first on line {errors[0].loc[1]}; "
            "nothing was imported",
            errors=errors[:MAX_LISTED],
        )


async def import_regions(session: AsyncSession, rows: list[ImportRow], actor: Principal) -> RegionImportResult:
    """Create or update every row, in one transaction."""
    _outside(actor, rows)
    await _clashes(session, rows)
    existing = await queries.by_codes(session, (r.code for r in rows))
    created = renamed = 0
    for row in rows:
        region = existing.get(row.code)
        if region is None:
            session.add(Region(code=row.code, name=row.name, parent_code=row.parent_code))
            created += 1
        elif (region.name, region.parent_code) != (row.name, row.parent_code):
            region.name, region.parent_code = row.name, row.parent_code
            renamed += 1
    touch(session, *(row.code for row in rows))
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent write, or names swapped between two codes of one parent
        await session.rollback()
        raise Conflict(
            "the import clashed with the register (a code or a sibling name written meanwhile, or two names "
            "swapped in one file: rename through a free name first); nothing was imported"
        ) from exc
    return RegionImportResult(rows=len(rows), created=created, renamed=renamed, unchanged=len(rows) - created - renamed)
