"""The connection pool survives the server closing its connections (PostgreSQL restarted, backends terminated):
the next request gets a fresh connection instead of a 500. Reads run outside a transaction on PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.config import normalize_database_url
from app.db.session import Database
from tests.conftest import Actor

pytestmark = pytest.mark.real_commits  # see tests/conftest.py


async def _terminate_other_backends(url: str) -> int:
    engine = create_async_engine(normalize_database_url(url))
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def test_requests_after_the_server_closed_pooled_connections_succeed(
    client: httpx.AsyncClient, admin: Actor, db: Database
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no server to close connections")
    for _ in range(3):  # fill the pool with a few connections
        assert (await client.get("/api/v1/institutions", headers=admin.headers)).status_code == 200
    assert await _terminate_other_backends(db.settings.database_url) >= 1
    await asyncio.sleep(0.2)  # the event loop sees the closed sockets
    for _ in range(5):
        r = await client.get("/api/v1/institutions", headers=admin.headers)
        assert r.status_code == 200, r.text
    r = await client.post(
        "/api/v1/institutions",
        headers=admin.headers,
        json={"name": "敬老院", "kind": "elderly_care", "region_code": "500240"},
    )
    assert r.status_code == 201, r.text


async def _transaction_starts(session: AsyncSession) -> tuple[object, object]:
    first = (await session.execute(text("SELECT now()"))).scalar_one()
    await session.execute(text("SELECT pg_sleep(0.01)"))
    return first, (await session.execute(text("SELECT now()"))).scalar_one()


async def test_reads_run_outside_a_transaction_on_postgresql(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    async with db.query_session() as session:
        first, second = await _transaction_starts(session)
    assert first != second  # each statement ran in its own transaction
    async with db.read_session() as session:
        first, second = await _transaction_starts(session)
    assert first == second  # the control: one transaction
