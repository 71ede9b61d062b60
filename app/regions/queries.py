"""Reads of the regions register: the scoped list, and names for codes shown elsewhere (labels).

Rule: a code without a name in the register is shown as the code itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.pagination import AnySelect
from app.regions.models import Region

CHUNK = 500  # codes per IN (…): far below every driver's parameter limit


def list_statement(actor: Principal, parent_code: str | None, q: str | None) -> AnySelect:
    """The caller's subtree (its own region included), optionally the children of `parent_code` and names
    containing `q`."""
    stmt = scoping.scoped(select(Region), Region.code, actor)
    if parent_code:
        stmt = stmt.where(Region.parent_code == parent_code)
    if q:
        stmt = stmt.where(Region.name.contains(q, autoescape=True))
    return stmt


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    """code → name for the codes the register knows."""
    found: dict[str, str] = {}
    for chunk in _chunks(codes):
        rows = await session.execute(select(Region.code, Region.name).where(Region.code.in_(chunk)))
        found.update({code: name for code, name in rows.all()})
    return found


async def by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    for chunk in _chunks(codes):
        found.update({r.code: r for r in (await session.scalars(select(Region).where(Region.code.in_(chunk))))})
    return found


async def children_names(session: AsyncSession, parents: Iterable[str | None]) -> dict[str, tuple[str | None, str]]:
    """code → (parent_code, name) of every region under one of `parents` (None: the top level)."""
    wanted = set(parents)
    found: dict[str, tuple[str | None, str]] = {}
    columns = (Region.code, Region.parent_code, Region.name)
    if None in wanted:
        rows = await session.execute(select(*columns).where(Region.parent_code.is_(None)))
        found.update({code: (parent, name) for code, parent, name in rows.all()})
    for chunk in _chunks(p for p in wanted if p is not None):
        rows = await session.execute(select(*columns).where(Region.parent_code.in_(chunk)))
        found.update({code: (parent, name) for code, parent, name in rows.all()})
    return found


async def label(session: AsyncSession, code: str) -> str:
    """`name(code)` for a title, or the code alone when the register does not know it."""
    if not code:
        return ""
    name = await session.scalar(select(Region.name).where(Region.code == code))
    return f"{name}({code})" if name else code
