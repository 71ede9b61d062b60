"""Replica routing without a replica (the real one is in tests/scale/): tokens parse as WAL positions, a
"replica" that is not a standby is never read from, writes carry X-Consistency-Token, /readyz stays 200."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from app.auth.models import Role
from app.core.config import Settings
from app.db.replica import CONSISTENCY_HEADER, READ_FROM_HEADER, parse_lsn
from app.db.session import Database
from app.main import create_app
from tests.conftest import OWN_REGION, TEST_SECRET, ActorFactory


def test_tokens_are_wal_positions() -> None:
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn(" 1/2 ") == (1 << 32) + 2
    for bad in ("", "nonsense", "1/", "/2", "1/2/3", "G/1", "123456789/1", "1;DROP"):
        assert parse_lsn(bad) is None, bad


def test_replica_must_be_postgresql(tmp_path: object) -> None:
    with pytest.raises(ValidationError, match="DATABASE_REPLICA_URL"):
        Settings(DATABASE_REPLICA_URL="sqlite:///x.db", SECRET_KEY=TEST_SECRET, _env_file=None)


async def test_a_primary_posing_as_replica_is_never_read_from(
    settings: Settings, clean_db: Database, make_actor: ActorFactory
) -> None:
    if clean_db.is_sqlite:
        pytest.skip("a replica is a PostgreSQL standby")
    values = settings.model_dump(exclude={"DATABASE_REPLICA_URL"})
    application = create_app(Settings(**values, DATABASE_REPLICA_URL=settings.DATABASE_URL, _env_file=None))
    db: Database = application.state.db
    assert db.replica is not None
    try:
        admin = await make_actor(Role.admin, "")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            r = await c.post(
                "/api/v1/institutions",
                headers=admin.headers,
                json={"name": "路由测试敬老院", "kind": "elderly_care", "region_code": OWN_REGION},
            )
            assert r.status_code == 201, r.text
            token = r.headers[CONSISTENCY_HEADER]
            assert parse_lsn(token) is not None
            r = await c.get("/api/v1/institutions", headers={**admin.headers, CONSISTENCY_HEADER: token})
            assert r.status_code == 200 and r.headers[READ_FROM_HEADER] == "primary"
            r = await c.get("/api/v1/reports/summary", headers=admin.headers)
            assert r.status_code == 200 and r.headers[READ_FROM_HEADER] == "primary"
            assert CONSISTENCY_HEADER not in r.headers  # reads carry no token
            bad = await c.post("/api/v1/institutions", headers=admin.headers, json={"name": ""})
            assert bad.status_code == 422 and CONSISTENCY_HEADER not in bad.headers
            r = await c.get("/readyz")
            assert r.status_code == 200
            assert r.json()["replica"] == "degraded: unreachable: not a standby"
            assert (
                "x-read-from"
                not in (await c.get(f"/api/v1/institutions/{admin.user_id}", headers=admin.headers)).headers
            )
    finally:
        await db.dispose()
