"""Per-region data versions: what a conditional read (app.auth.conditional) derives its ETag from.

A write use case says which regions it changed with `touch(session, region_code)`; at that session's commit the
`data_versions` rows of every level prefix of each touched code are bumped in the same transaction (one
statement, the last before COMMIT). A read of the subtree `P` reads `version_of(session, P)`: one indexed
lookup of at most `SHARDS` rows.

Rules:
- Every committed change of something a report or list reads (institutions, officers and their trainings and
  conflicts, inspections, hazards and their transitions and evidence, deadlines, escalations, follow-ups, plans,
  draws, the regions register) touches the region it lies in; a record that moves touches its old and its new
  region. Events touch their region by themselves (`app.db.outbox` calls `touch`), so a use case that records an
  event for its change needs nothing more.
- The rows bumped for a code `C` are `''` (national) and `C[:n]` for each level length `n <= len(C)` (2, 4, 6,
  9, 12: app.regions.codes.LEVELS). The version of a subtree `P` is the row set of `anchor(P)`, the longest of
  those prefixes of `P`. A change at `C` inside `P` (`C` starts with `P`) bumps `anchor(P)`, so every change
  inside a region changes its version; a change elsewhere changes it only when it shares that anchor.
- A row's version only grows, and a version is the SUM over the anchor's shard rows: any committed bump makes it
  larger. Each transaction bumps one shard per prefix, chosen at random on PostgreSQL (so concurrent writers of
  one county seldom queue on one row lock), shard 0 on SQLite (writes are serial there).
- Touches are kept per session and forgotten at rollback: a rolled-back change bumps nothing. A session that
  commits several times (a batch job) bumps at each commit what it touched since the last one.
- Versions are not reset or backfilled: an absent row is version 0. Restoring an older backup brings its older
  versions back with its older data; a client's tag from after the backup then matches again only if the same
  number of changes were made once more (restart the clients' polling after a restore to be sure).
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, SmallInteger, String, TextClause, bindparam, event, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base

LEVELS = (2, 4, 6, 9, 12)
"""Division code level lengths (as app.regions.codes.LEVELS, which sits above db)."""
SHARDS = 8
_TOUCHED = "data_versions.touched"


class DataVersion(Base):
    __tablename__ = "data_versions"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def prefixes(region_code: str) -> list[str]:
    """The rows a change at `region_code` bumps: '' and every level-length prefix of it."""
    return [""] + [region_code[:n] for n in LEVELS if n <= len(region_code)]


def anchor(prefix: str) -> str:
    """The row a read over the subtree `prefix` depends on: its longest level-length prefix ('' for national,
    '5002' for '50024', '500240' for '500240')."""
    return prefixes(prefix)[-1]


def touch(session: AsyncSession | Session, *region_codes: str) -> None:
    """Note that this transaction changed data in each of `region_codes` (no SQL now; bumped at commit)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    touched: set[str] = sync.info.setdefault(_TOUCHED, set())
    touched.update(region_codes)


_VERSION = select(func.coalesce(func.sum(DataVersion.version), 0)).where(
    DataVersion.region_code == bindparam("anchor", type_=DataVersion.region_code.type)
)
"""The read of a subtree's version, built once (a conditional read runs it on every request)."""


async def version_of(session: AsyncSession, prefix: str) -> int:
    """The data version of the subtree `prefix` (0 before its first change)."""
    return int((await session.execute(_VERSION, {"anchor": anchor(prefix)})).scalar_one())


_BUMP_ROWS = {
    # One statement whatever the number of codes, so SQLAlchemy compiles it once (a multi-row VALUES it
    # compiles anew on every commit). Inserted in key order, so two writers never lock rows crosswise.
    "postgresql": "SELECT code, :shard, 1 FROM unnest(CAST(:codes AS VARCHAR[])) AS code ORDER BY code",
    # SQLite: a JSON array of the codes; `WHERE true` is what SQLite's grammar needs before an upsert's ON CONFLICT.
    "sqlite": "SELECT value, :shard, 1 FROM json_each(:codes) WHERE true ORDER BY value",
}


@cache
def _bump_statement(dialect: str) -> TextClause:
    """Bump (or create at 1) the rows (code, shard) of the codes bound as `codes`."""
    codes_type: Any = ARRAY(String) if dialect == "postgresql" else JSON()
    return text(
        f"INSERT INTO data_versions (region_code, shard, version) {_BUMP_ROWS[dialect]} "
        "ON CONFLICT (region_code, shard) DO UPDATE SET version = data_versions.version + 1"
    ).bindparams(bindparam("codes", type_=codes_type), bindparam("shard", type_=SmallInteger()))


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    """Write the touched regions' bumps as the transaction's last statement (inside the commit's greenlet, so
    the sync call is fine under AsyncSession): the rows stay locked only for the COMMIT itself, and in key
    order, so two writers never lock them crosswise."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the bump waits for the transaction's own commit
    touched: set[str] | None = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    codes = sorted({p for code in touched for p in prefixes(code)})
    dialect = session.get_bind().dialect.name
    shard = random.randrange(SHARDS) if dialect == "postgresql" else 0  # noqa: S311 — spreading, not secrecy
    session.execute(_bump_statement(dialect), {"codes": codes, "shard": shard})


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    """A rollback of the whole transaction forgets its touches; a savepoint's rollback keeps them (the rest of
    the transaction may still commit changes; bumping more than needed is harmless)."""
    if previous_transaction.parent is None:
        session.info.pop(_TOUCHED, None)
