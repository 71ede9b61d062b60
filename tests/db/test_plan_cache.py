"""PostgreSQL plans every execution of a prepared statement for its values (`plan_cache_mode =
force_custom_plan`, app.db.session): no read falls into the generic plan PostgreSQL would otherwise switch to
after five executions on one connection. PostgreSQL only; skipped on SQLite, which has no plan cache mode."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.db.session import Database
from tests.conftest import Actor

COUNT_BY_SEVERITY = "SELECT count(*) FROM hazards WHERE severity = $1"


def _postgres_only(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no plan cache")


async def _mode(session: AsyncSession) -> str:
    return str((await session.execute(text("SHOW plan_cache_mode"))).scalar_one())


async def _plans(session: AsyncSession, like: str) -> tuple[int, int]:
    """(generic, custom) plans of this connection's prepared statements with parameters whose text matches
    `like` (a statement without parameters has only its one plan, counted as generic)."""
    row = (
        await session.execute(
            text(
                "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements "
                "WHERE statement LIKE :like AND cardinality(parameter_types) > 0 "
                "AND statement NOT LIKE '%pg_prepared_statements%'"
            ),
            {"like": like},
        )
    ).one()
    return int(row[0]), int(row[1])


@pytest.mark.real_commits  # the sessions' own pooled connections, not the test's shared one
async def test_every_kind_of_session_plans_for_its_values(db: Database) -> None:
    _postgres_only(db)
    async with db.query_session() as s:
        assert await _mode(s) == "force_custom_plan"
    async with db.read_session() as s:
        assert await _mode(s) == "force_custom_plan"
    async with db.write_session() as s:
        assert await _mode(s) == "force_custom_plan"


async def _count_eight_times(database: Database) -> tuple[int, int]:
    async with database.query_session() as s:
        for _ in range(8):
            await s.execute(text("SELECT count(*) FROM hazards WHERE severity = :severity"), {"severity": "major"})
        return await _plans(s, COUNT_BY_SEVERITY)


@pytest.mark.real_commits
async def test_a_statement_run_eight_times_on_one_connection_never_gets_a_generic_plan(
    db: Database, settings: Settings
) -> None:
    _postgres_only(db)
    assert await _count_eight_times(db) == (0, 8)
    # The control: under PostgreSQL's default the same statement is switched to its generic plan after five runs
    # (so the count above would see one if the setting were missing).
    auto = Database(settings.model_copy(update={"DB_PLAN_CACHE_MODE": "auto"}))
    try:
        generic, custom = await _count_eight_times(auto)
    finally:
        await auto.dispose()
    assert (generic, custom) == (3, 5)


async def test_a_hazard_list_requested_eight_times_is_planned_for_its_values_each_time(
    client: httpx.AsyncClient, admin: Actor, db: Database
) -> None:
    """Every session of this test shares one connection (tests/conftest.py, `isolated`): the requests' statements
    are prepared on it, and its pg_prepared_statements shows how each was planned."""
    _postgres_only(db)
    for _ in range(8):
        r = await client.get("/api/v1/hazards", params={"region_code": "500240", "limit": 50}, headers=admin.headers)
        assert r.status_code == 200, r.text
    async with db.query_session() as s:
        generic, custom = await _plans(s, "%FROM hazards JOIN institutions%ORDER BY hazards.found_on DESC%")
    assert generic == 0
    assert custom >= 8
