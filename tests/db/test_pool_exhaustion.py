"""An exhausted connection pool answers at once: 503 problem+json with `Retry-After: 1` after
DB_POOL_TIMEOUT_SECONDS, never a 500 after a long wait. PostgreSQL connections carry the
`idle_in_transaction_session_timeout` backstop and the application's name."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.config import Settings
from app.db.session import Database
from app.main import create_app
from tests.conftest import TEST_SECRET, Actor

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

POOL_TIMEOUT_S = 0.3


@pytest.fixture
async def small_pool_app(settings: Settings, clean_db: Database) -> AsyncIterator[FastAPI]:
    """A second app on the same (migrated) database, with one pooled connection on PostgreSQL."""
    tight = Settings(
        DATABASE_URL=settings.DATABASE_URL,
        DATA_DIR=settings.DATA_DIR,
        SECRET_KEY=TEST_SECRET,
        DB_POOL_SIZE=1,
        DB_MAX_OVERFLOW=0,
        DB_POOL_TIMEOUT_SECONDS=POOL_TIMEOUT_S,
        _env_file=None,
    )
    application = create_app(tight)
    yield application
    await application.state.db.dispose()


async def _take_every_connection(db: Database) -> list[AsyncConnection]:
    held: list[AsyncConnection] = []
    for _ in range(50):  # SQLite's pool: 5 + 10 overflow; PostgreSQL's here: 1
        try:
            held.append(await db.engine.connect())
        except PoolTimeout:
            return held
    raise AssertionError("the pool never ran out")


async def test_an_exhausted_pool_answers_503_with_retry_after_at_once(small_pool_app: FastAPI, admin: Actor) -> None:
    db: Database = small_pool_app.state.db
    transport = httpx.ASGITransport(app=small_pool_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/v1/institutions", headers=admin.headers)).status_code == 200
        held = await _take_every_connection(db)
        try:
            for url in ("/api/v1/institutions", "/api/v1/exports/hazards.csv"):
                started = time.perf_counter()
                r = await client.get(url, headers=admin.headers)
                elapsed = time.perf_counter() - started
                assert r.status_code == 503, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert r.headers["retry-after"] == "1"
                assert r.json()["status"] == 503 and "retry" in r.json()["detail"]
                assert elapsed < POOL_TIMEOUT_S + 2  # not the 30 s of an unbounded wait (a loaded box is slow)
        finally:
            for conn in held:
                await conn.close()
        assert (await client.get("/api/v1/institutions", headers=admin.headers)).status_code == 200
        assert (await client.get("/api/v1/exports/hazards.csv", headers=admin.headers)).status_code == 200
        # the refused export gave its credential's slot back
        assert small_pool_app.state.export_gate._in_flight == {}


async def test_postgresql_connections_end_idle_transactions_and_carry_the_app_name(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    async with db.engine.connect() as conn:
        timeout = (await conn.execute(text("SHOW idle_in_transaction_session_timeout"))).scalar_one()
        name = (
            await conn.execute(text("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"))
        ).scalar_one()
    assert (timeout, name) == ("1min", "inspection-tracker")
