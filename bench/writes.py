"""Scenario 1 — writes: `POST /inspections` with two hazards from 16 concurrent clients, against its limit: the
very SQL statements one such request sends (captured from the app), replayed by a bare asyncpg script over 16
connections, with fresh ids each time.

    python -m bench.writes --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench

Load driver: a small HTTP/1.1 keep-alive client on asyncio streams (`Driver`), not wrk. Every request must carry
its own client-chosen ids (the API's idempotency keys), which wrk can only do through Lua, and wrk is not
something the project's own files can install. The driver's own ceiling is measured in the same run against
`/healthz`, so the table shows whether the client could have been the bottleneck.

Placement: the app (or, for the limit, the asyncpg script that stands in for it) runs on core 0; the HTTP driver
on core 1; PostgreSQL wherever the kernel puts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from app.core.config import Settings, normalize_database_url
from app.main import create_app
from bench.common import SECRET, Driver, admin_headers, server
from bench.generate import COUNTY, YEAR

CLIENTS = 16


@dataclass(frozen=True)
class Op:
    """One step of a captured request: 'begin', 'commit', 'rollback' or a statement ('sql')."""

    kind: str
    sql: str = ""
    params: tuple[Any, ...] | list[tuple[Any, ...]] = ()
    many: bool = False


async def targets(pg_url: str) -> tuple[list[str], list[str]]:
    """Institutions of the bench county and two of its certified officers."""
    conn = await asyncpg.connect(pg_url)
    insts = [
        str(r["id"])
        for r in await conn.fetch(
            "SELECT id FROM institutions WHERE region_code = $1 AND status <> 'closed' ORDER BY id", COUNTY
        )
    ]
    officers = [
        str(r["id"])
        for r in await conn.fetch(
            "SELECT id FROM officers WHERE region_code = $1 AND certificate_status = 'valid' ORDER BY id LIMIT 2",
            COUNTY,
        )
    ]
    await conn.close()
    return insts, officers


def body(institution_id: str, officer_ids: list[str]) -> dict[str, Any]:
    on = date(YEAR, 6, 1 + random.randrange(28))
    return {
        "id": str(uuid.uuid4()),
        "institution_id": institution_id,
        "inspected_on": on.isoformat(),
        "type": "routine",
        "officer_ids": officer_ids,
        "summary": "检查消防设施、食品安全台账",
        "hazards": [
            {
                "id": str(uuid.uuid4()),
                "category": "fire_safety",
                "severity": "general",
                "description": "消防通道堆放杂物",
                "due_on": date(YEAR, 7, 31).isoformat(),
            },
            {"id": str(uuid.uuid4()), "category": "food", "severity": "major", "description": "食品留样记录缺失"},
        ],
    }


async def capture(url: str, headers: dict[str, str], institution_id: str, officer_ids: list[str]) -> list[Op]:
    """Every statement and transaction boundary of one `POST /inspections`, as the app sends them."""
    settings = Settings(DATABASE_URL=url, SECRET_KEY=SECRET, _env_file=None)
    app = create_app(settings)
    ops: list[Op] = []
    engine = app.state.db.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def on_sql(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        # insertmanyvalues renders several rows into one statement: flat parameters, one execution.
        many = many and isinstance(params, list)
        ops.append(Op("sql", sql, [tuple(p) for p in params] if many else tuple(params or ()), many))

    def on_boundary(conn: Any, name: str) -> None:
        # In autocommit (the credential lookup on PostgreSQL, app.db.session) the driver sends no BEGIN, COMMIT
        # or ROLLBACK, though SQLAlchemy reports the boundaries: the limit must not replay what was not sent.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            ops.append(Op(name))

    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, lambda _conn, _n=name: on_boundary(_conn, _n))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        r = await client.post("/api/v1/inspections", json=body(institution_id, officer_ids), headers=headers)
        assert r.status_code == 201, r.text
    await app.state.db.dispose()
    return ops


def fresh(value: Any, keep: set[uuid.UUID], ids: dict[uuid.UUID, uuid.UUID]) -> Any:
    """The value with every id the captured request created replaced by a new one (consistently)."""
    if isinstance(value, uuid.UUID) and value not in keep:
        return ids.setdefault(value, uuid.uuid4())
    return value


async def replay(conn: asyncpg.Connection, ops: list[Op], keep: set[uuid.UUID]) -> None:
    ids: dict[uuid.UUID, uuid.UUID] = {}
    tx: Any = None
    for op in ops:
        if op.kind == "begin":
            tx = conn.transaction()
            await tx.start()
        elif op.kind == "commit":
            await tx.commit()
        elif op.kind == "rollback":
            await tx.rollback()
        elif op.many:
            await conn.executemany(op.sql, [tuple(fresh(v, keep, ids) for v in row) for row in op.params])
        else:
            await conn.fetch(op.sql, *(fresh(v, keep, ids) for v in op.params))


async def limit_rate(
    pg_url: str, ops: list[Op], keep: set[uuid.UUID], seconds: float, server_settings: dict[str, str] | None = None
) -> float:
    conns = [await asyncpg.connect(pg_url, server_settings=server_settings) for _ in range(CLIENTS)]
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await replay(conn, ops, keep)
            done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - t0
    for c in conns:
        await c.close()
    return done / elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def api_rate(
    base: str, auth: str, make: Any, path: str, method: str, seconds: float, pid: int | None = None
) -> tuple[float, float]:
    """Requests per second, and the server's CPU milliseconds per request (0 without `pid`)."""
    host, port = base.removeprefix("http://").split(":")
    drivers = [Driver(host, int(port), auth) for _ in range(CLIENTS)]
    for d in drivers:
        await d.open()
    done, failed = 0, []
    stop = time.perf_counter() + seconds

    async def worker(d: Driver) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            status, _body = await d.send(method, path, make())
            if status >= 300:
                failed.append(status)
                return
            done += 1

    t0, cpu0 = time.perf_counter(), cpu_seconds(pid) if pid else 0.0
    await asyncio.gather(*(worker(d) for d in drivers))
    elapsed = time.perf_counter() - t0
    cpu_ms = (cpu_seconds(pid) - cpu0) * 1000 / max(done, 1) if pid else 0.0
    if failed:
        raise RuntimeError(f"{path}: {len(failed)} failed requests, statuses {sorted(set(failed))}")
    return done / elapsed, cpu_ms


async def captured(url: str, headers: dict[str, str]) -> tuple[list[Op], set[uuid.UUID], list[str], list[str]]:
    """One post's statements (`capture`), the ids to keep in a replay, the county's institutions and officers."""
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    insts, officers = await targets(pg_url)
    ops = await capture(url, headers, insts[0], officers)
    # Ids that exist before a request (institution, officers, the caller) stay; all others are new per request.
    keep = {uuid.UUID(i) for i in insts} | {uuid.UUID(o) for o in officers}
    keep |= {
        v for op in ops if op.kind == "sql" and "FROM users" in op.sql for v in op.params if isinstance(v, uuid.UUID)
    }
    return ops, keep, insts, officers


def pin(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})


async def measure(
    url: str, base: str, headers: dict[str, str], seconds: float, rounds: int, pid: int | None = None
) -> dict[str, float]:
    """The figures of the scenario; with the server's `pid`, also its CPU per post (`api_cpu_ms`, the lowest of
    the rounds), a figure the machine's other load disturbs less than the rates."""
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    ops, keep, insts, officers = await captured(url, headers)
    auth = headers["Authorization"]

    def post() -> bytes:
        return json.dumps(body(random.choice(insts), officers)).encode()

    api, cpu, limit = [], [], []
    for _ in range(rounds):
        pin(1)
        rate, cpu_ms = await api_rate(base, auth, post, "/api/v1/inspections", "POST", seconds, pid)
        api.append(rate)
        cpu.append(cpu_ms)
        pin(0)
        limit.append(await limit_rate(pg_url, ops, keep, seconds))
    pin(1)
    ceiling, _ = await api_rate(base, auth, lambda: b"", "/healthz", "GET", seconds / 2)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return {
        "api": max(api),
        "api_cpu_ms": min(cpu),
        "limit": max(limit),
        "driver": ceiling,
        "statements": sum(op.kind == "sql" for op in ops),
        "transactions": sum(op.kind == "begin" for op in ops),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=2, help="API/limit runs, interleaved; the best of each")
    args = parser.parse_args()
    with server(args.database_url, cpu=0) as (base, pid):
        headers = admin_headers(args.database_url, base)
        figures = asyncio.run(measure(args.database_url, base, headers, args.seconds, args.rounds, pid))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
