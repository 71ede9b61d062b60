"""One transaction per write use case (issue 12.1), for every write route besides the creates of
test_one_commit: each route of the authorization matrix that changes something (POST, PATCH, PUT, DELETE)
is sent once more with its commit made to fail after its rows were flushed (the main write reached the
database), and then nothing of it is left — no row changed, added or removed in any table, history and
outbox events included — and the client gets a clean 500 problem+json. A route that answered 2xx without
committing would fail here too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base
from app.db.session import Database
from app.events.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.auth.matrix_core import Row
from tests.auth.matrix_world import ACTORS, World
from tests.auth.test_matrix import ROWS, matrix_client, shared_world, world  # noqa: F401  (the fixtures)
from tests.conftest import Actor
from tests.problems import problem_of

API = "/api/v1"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
# Not a write use case: logging in commits nothing (its throttle counts in its own store).
NOT_WRITES = {("POST", "/api/v1/auth/token")}
# Tables a request touches outside its use case: the rate limiter's windows.
UNTRACKED = {"rate_windows"}


def _write_rows() -> list[Row]:
    """The first matrix row of every write route whose own-region cells include a success."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for row in ROWS:
        key = (row.method, row.path)
        if row.method not in WRITES or key in NOT_WRITES or key in seen or row.path.startswith("/console"):
            continue
        if any(c is not None and 200 <= c < 300 for c in row.own):
            seen.add(key)
            rows.append(row)
    return rows


WRITE_ROWS = _write_rows()


class Injected(RuntimeError):
    """The failure planted in the commit, after the use case's rows were flushed."""


async def _snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table (as text, sorted)."""
    tables = sorted(t for t in Base.metadata.tables if t not in UNTRACKED)
    async with db.sessionmaker() as s:
        return {
            t: sorted(repr(tuple(r)) for r in (await s.execute(text(f"SELECT * FROM {t}"))).all())  # noqa: S608
            for t in tables
        }


@pytest.fixture
async def failing_client(app: FastAPI, matrix_client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """The matrix client's address (its per-IP limits), answering 500 instead of raising the server's error."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=matrix_client._transport.client)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _fail_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit flushes what is pending (the rows reach the database, in the open transaction), then fails."""

    async def flush_then_fail(self: AsyncSession) -> None:
        await self.flush()
        raise Injected("after the write")

    monkeypatch.setattr(AsyncSession, "commit", flush_then_fail)


@pytest.mark.parametrize("row", WRITE_ROWS, ids=[f"{r.method} {r.path}" for r in WRITE_ROWS])
async def test_a_failing_commit_leaves_nothing_behind(
    row: Row,
    world: World,  # noqa: F811
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actor = next(a for a, c in zip(ACTORS, row.own, strict=True) if c is not None and 200 <= c < 300)
    req = await row.build(world, "own")
    before = await _snapshot(clean_db)
    _fail_commit(monkeypatch)
    r = await failing_client.request(
        row.method,
        row.path.format(**req.ids),
        params=req.params,
        json=req.json,
        data=req.data,
        files=req.files,
        headers=world.headers[actor],
    )
    monkeypatch.undo()
    assert r.status_code == 500, f"{actor}: {r.status_code} {r.text[:300]}"
    problem_of(r, 500)
    assert "Injected" not in r.text
    after = await _snapshot(clean_db)
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"left behind: {changed}"


def test_every_write_route_is_covered() -> None:
    assert len(WRITE_ROWS) >= 25, [f"{r.method} {r.path}" for r in WRITE_ROWS]


async def test_a_failing_commit_leaves_a_retried_delivery_failed(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The matrix retries a pending delivery (409); a failed one is retried here."""
    r = await client.post(f"{API}/webhooks", json={"url": "https://8.8.8.8/hook"}, headers=admin.headers)
    assert r.status_code == 201, r.text
    hook = r.json()["id"]
    r = await client.post(f"{API}/webhooks/{hook}/test", headers=admin.headers)
    assert r.status_code in (200, 201, 202), r.text
    delivery = r.json()["delivery_id"]
    async with clean_db.sessionmaker() as s:
        await s.execute(update(WebhookDelivery).values(status=DeliveryStatus.failed))
        await s.commit()
    before = await _snapshot(clean_db)
    _fail_commit(monkeypatch)
    r = await failing_client.post(f"{API}/webhooks/{hook}/deliveries/{delivery}/retry", headers=admin.headers)
    monkeypatch.undo()
    assert r.status_code == 500, r.text
    problem_of(r, 500)
    assert await _snapshot(clean_db) == before
    r = await client.post(f"{API}/webhooks/{hook}/deliveries/{delivery}/retry", headers=admin.headers)
    assert r.status_code == 202, r.text  # without the failure the same retry is accepted
    assert r.json()["status"] == "pending"
