"""Liveness and readiness probes."""

from __future__ import annotations

import logging

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


@pytest.mark.real_commits
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


async def test_readyz_logs_nothing_on_success(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    """Probes come every few seconds: a ready answer must not write a log line (Alembic's INFO lines included)."""
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
    server_side = [rec for rec in caplog.records if not rec.name.startswith(("httpx", "httpcore", "app.access"))]
    assert [f"{rec.name}: {rec.getMessage()}" for rec in server_side if rec.levelno >= logging.INFO] == []
