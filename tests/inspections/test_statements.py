"""The statements of `POST /inspections` (issue 21, bench/README.md): the credential lookup, the rules' reads in
one statement, then the rows and their events — one statement on PostgreSQL (data-modifying CTEs), one per table
on SQLite — and the commit. What they store is what a later GET and the event feed show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, select

from app.db.outbox import Event
from app.db.session import Database
from tests import factories
from tests.conftest import Actor

API = "/api/v1"


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements (not transaction control) the engine sends meanwhile."""
    sent: list[str] = []

    def on_sql(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "WITH", "UPDATE", "DELETE"}:
            sent.append(sql)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_sql)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)


async def test_a_create_reads_once_and_writes_once_on_postgresql(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    body = factories.inspection_body(inst["id"], officers)
    with statements(clean_db) as sent:
        r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    writes = 5 if clean_db.is_sqlite else 1  # inspection, officers, hazards, history, events
    # the credential lookup, the rules' reads, the writes, the data versions' bump at commit (app.db.versions)
    assert len(sent) == 1 + 1 + writes + 1, sent
    assert "data_versions" in sent[-1]
    created = r.json()
    assert created == (await client.get(f"{API}/inspections/{created['id']}", headers=admin.headers)).json()
    async with clean_db.sessionmaker() as s:
        events = (await s.execute(select(Event.type, Event.data).order_by(Event.seq))).all()
    assert [e.type for e in events] == ["inspection.created", "hazard.created", "hazard.created"]
    assert events[0].data["hazard_ids"] == [h["id"] for h in created["hazards"]]
    assert [e.data["hazard_id"] for e in events[1:]] == [h["id"] for h in created["hazards"]]


async def test_a_create_without_hazards(client: httpx.AsyncClient, clean_db: Database, admin: Actor) -> None:
    """No hazards: no hazard or history rows (the groups are left out of the one statement)."""
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    body = {**factories.inspection_body(inst["id"], officers), "hazards": []}
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["hazards"] == [] and r.json()["hazards_count"] == 0
    async with clean_db.sessionmaker() as s:
        assert (await s.execute(select(Event.type))).scalars().all() == ["inspection.created"]


async def test_the_largest_create(client: httpx.AsyncClient, clean_db: Database, admin: Actor) -> None:
    """200 hazards (the body's limit) and 20 officers in the one statement: about 7,500 bound parameters on
    PostgreSQL, within its 32,767."""
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(20)]
    body = factories.inspection_body(inst["id"], officers)
    hazard = body["hazards"][0]
    body["hazards"] = [{**hazard, "description": f"隐患 {i}"} for i in range(200)]
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert [h["description"] for h in created["hazards"]] == [f"隐患 {i}" for i in range(200)]
    assert created == (await client.get(f"{API}/inspections/{created['id']}", headers=admin.headers)).json()
    async with clean_db.sessionmaker() as s:
        assert len((await s.execute(select(Event.seq))).all()) == 201
