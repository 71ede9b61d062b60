"""Liveness and readiness probes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from app.db.session import Database


async def test_healthz_is_public(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["x-request-id"]


async def test_readyz_at_head(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["database"] == "ok"
    assert body["schema_revision"] == body["expected_revision"] is not None


async def test_readyz_503_when_schema_behind(client: httpx.AsyncClient, clean_db: Database) -> None:
    async with clean_db.engine.begin() as conn:
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "migrations pending"
    finally:
        async with clean_db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
async def test_public_paths_need_no_credentials(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
