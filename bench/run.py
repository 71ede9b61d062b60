"""Run the read-path scenarios side by side with their limits and print a results table (markdown).

    python -m bench.run --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench

Also used by `bench.suite` (`make bench`), which runs every scenario and writes the table into bench/README.md.

Scenarios (one uvicorn worker pinned to core 0; this client pinned to core 1):
  2. county report: GET /reports/summary for county 500240 vs the same SQL statements sent by asyncpg;
  3. national report: the same over everything;
  4. county breakdown by township and by month;
  6. hazard list: GET /hazards?limit=50 for the county at page 1 and deep in (by cursor) — p50 flat with depth;
  6′. the first page against the statements it sends (captured from the app), replayed by asyncpg.
Each figure is the median of 5 × N sequential requests, API and limit alternating request by request so that
load changes on the machine hit both alike. The limit runs exactly the statements the API sends (compiled from
the same builders for PostgreSQL with literal values).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.dialects import postgresql

from app.core.config import Settings, normalize_database_url
from app.core.pagination import AnySelect
from app.main import create_app
from app.reports import queries
from app.reports.schemas import GroupBy
from bench.common import SECRET, Driver, admin_headers, server
from bench.generate import COUNTY, YEAR

PERIOD = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
COUNTY_ROW = "2. county summary (500240)"
NATIONAL_ROW = "3. national summary"
TOWNSHIP_ROW = "4. county by township"
MONTH_ROW = "4. county by month"
LIST_ROW = "6′. hazard list page 1 (county, 50) vs its SQL through asyncpg"
# The limit column of this row is the full answer's p50 (scenario 3); the target is absolute.
REPOLL_ROW = "8. dashboard re-poll of the unchanged national summary (If-None-Match → 304) vs the full answer"
REPOLL_MS = 3.0
LISTING = {"region_code": COUNTY, "limit": "50"}


def compiled(statement: AnySelect) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return sql.replace("%%", "%")  # undo the pyformat escaping: asyncpg sends the text as it is


def report_sql(group_by: GroupBy, prefix: str) -> list[str]:
    period = queries.Period(date(YEAR, 1, 1), date(YEAR, 12, 31), date(YEAR, 12, 31), prefix)
    counters, values = queries.counters_statement(group_by, period, "postgresql")
    statements = [compiled(counters.params(values))]
    if group_by == GroupBy.kind:
        officers, values = queries.officers_statement(period)
        statements.append(compiled(officers.params(values)))
    return statements


async def timed_ms(fn: Callable[[], Awaitable[object]]) -> float:
    t0 = time.perf_counter()
    await fn()
    return (time.perf_counter() - t0) * 1000


async def pair(
    api: Callable[[], Awaitable[object]], raw: Callable[[], Awaitable[object]], n: int, rounds: int = 5, warmup: int = 3
) -> tuple[float, float]:
    """p50 of the API and of its limit over `rounds * n` runs each, alternating run by run (API, limit, API, …)
    so that whatever else the machine does at a moment hits both alike; `warmup` runs of each first, not counted
    (plans cached, connections open)."""
    for _ in range(warmup):
        await api()
        await raw()
    a, r = [], []
    for _ in range(rounds * n):
        a.append(await timed_ms(api))
        r.append(await timed_ms(raw))
    return statistics.median(a), statistics.median(r)


Figure = tuple[str, float, float, str, float]  # scenario, API p50 ms, limit p50 ms, target text, bound


def county_case() -> tuple[str, str, dict[str, str], list[str]]:
    return (
        COUNTY_ROW,
        "/api/v1/reports/summary",
        {**PERIOD, "region_code": COUNTY},
        report_sql(GroupBy.kind, COUNTY),
    )


async def county_p50(url: str, base: str, headers: dict[str, str], n: int) -> float:
    """The county summary's API p50 alone (the growth check's base at 100,000 hazards)."""
    os.sched_setaffinity(0, {1})  # the server has core 0
    _name, path, params, _sql = county_case()
    c = await driver(base, headers)
    api_ms, _ = await pair(lambda: c.get(path, params), _nothing, n)
    await c.close()
    return api_ms


async def national_pair(url: str, base: str, headers: dict[str, str], n: int) -> tuple[float, float]:
    """The national summary's API p50 against its statements through asyncpg, `n` of each after one warm-up
    (at 10,000,000 hazards one answer takes seconds, so fewer runs than the other scenarios)."""
    os.sched_setaffinity(0, {1})  # the server has core 0
    pg = await asyncpg.connect(normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"))
    c = await driver(base, headers)
    statements = report_sql(GroupBy.kind, "")

    async def run_sql() -> None:
        for sql in statements:
            await pg.fetch(sql)

    try:
        return await pair(lambda: c.get("/api/v1/reports/summary", PERIOD), run_sql, n, rounds=1, warmup=1)
    finally:
        await c.close()
        await pg.close()


async def driver(base: str, headers: dict[str, str]) -> Driver:
    host, port = base.removeprefix("http://").split(":")
    d = Driver(host, int(port), headers["Authorization"])
    await d.open()
    return d


async def _nothing() -> None:
    return None


async def scenarios(url: str, base: str, headers: dict[str, str], n: int) -> list[Figure]:
    os.sched_setaffinity(0, {1})  # the server has core 0
    pg = await asyncpg.connect(normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"))
    out: list[Figure] = []
    c = await driver(base, headers)

    async def run_sql(statements: list[str]) -> None:
        for sql in statements:
            await pg.fetch(sql)

    cases = [
        (*county_case(), "≤ 1.5×", 1.5),
        (NATIONAL_ROW, "/api/v1/reports/summary", PERIOD, report_sql(GroupBy.kind, ""), "≤ 1.3×", 1.3),
        (
            TOWNSHIP_ROW,
            "/api/v1/reports/breakdown",
            {**PERIOD, "region_code": COUNTY, "group_by": "township"},
            report_sql(GroupBy.township, COUNTY),
            "≤ 1.5×",
            1.5,
        ),
        (
            MONTH_ROW,
            "/api/v1/reports/breakdown",
            {**PERIOD, "region_code": COUNTY, "group_by": "month"},
            report_sql(GroupBy.month, COUNTY),
            "≤ 1.5×",
            1.5,
        ),
    ]
    for name, path, params, sql, target, bound in cases:
        api_ms, raw_ms = await pair(
            lambda p=path, q=params: c.get(p, q),  # type: ignore[misc]
            lambda s=sql: run_sql(s),  # type: ignore[misc]
            n,
        )
        out.append((name, api_ms, raw_ms, target, bound))
    # 7. a dashboard re-polling the unchanged national summary with the ETag it holds: 304, nothing recomputed.
    national = f"/api/v1/reports/summary?{urlencode(PERIOD)}"
    status, _body = await c.send("GET", national)
    assert status == 200, status
    tag = c.last_headers["etag"]

    async def repoll() -> None:
        status, body = await c.send("GET", national, headers={"If-None-Match": tag})
        assert status == 304 and body == b"", (status, body[:100])

    polled, _ = await pair(repoll, _nothing, n)
    full = next(api for name, api, *_rest in out if name == NATIONAL_ROW)
    out.append((REPOLL_ROW, polled, full, "304 in ≤ 3 ms", REPOLL_MS / full))
    # 6. deep pagination: the first page vs a page 40 pages in (by following cursors).
    listing = LISTING
    cursor = None
    for _ in range(40):
        page = json.loads(await c.get("/api/v1/hazards", {**listing, **({"cursor": cursor} if cursor else {})}))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    first, deep = await pair(
        lambda: c.get("/api/v1/hazards", listing),
        lambda: c.get("/api/v1/hazards", {**listing, "cursor": cursor or ""}),
        n,
    )
    out.append(("6. hazard list: page 40 vs page 1 (county, p50)", deep, first, "flat (≤ 1.5×)", 1.5))
    # 6′. the first page against the very statements it sends, replayed by asyncpg.
    statements = await list_statements(url, headers, "/api/v1/hazards", LISTING)
    planned = await asyncpg.connect(
        normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"),
        server_settings={"plan_cache_mode": "force_custom_plan"},
    )

    async def replay() -> None:
        for sql, params in statements:
            await planned.fetch(sql, *params)

    api_ms, raw_ms = await pair(lambda: c.get("/api/v1/hazards", LISTING), replay, n)
    out.append((LIST_ROW, api_ms, raw_ms, "≤ 1.5×", 1.5))
    await planned.close()
    await c.close()
    await pg.close()
    return out


async def list_statements(
    url: str, headers: dict[str, str], path: str, params: dict[str, str]
) -> list[tuple[str, tuple[Any, ...]]]:
    """Every statement one GET sends, with its parameters, captured from the app in-process (a SQLAlchemy event
    hook, as bench.writes does): the credential lookup and the list's own statement(s). Replayed with these
    parameters on a connection that plans each execution for its values (`force_custom_plan`): what the
    database needs for the page, with neither a generic plan's risk nor a reparse."""
    settings = Settings(DATABASE_URL=url, SECRET_KEY=SECRET, _env_file=None)
    app = create_app(settings)
    captured: list[tuple[str, tuple[Any, ...]]] = []

    @event.listens_for(app.state.db.engine.sync_engine, "before_cursor_execute")
    def on_sql(_conn: Any, _cursor: Any, sql: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        captured.append((sql, tuple(parameters or ())))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
    await app.state.db.dispose()
    return captured


def table(rows: list[Figure]) -> str:
    lines = ["| scenario | API p50 | limit p50 | ratio | target | met |", "|---|---|---|---|---|---|"]
    for name, api_ms, raw_ms, target, bound in rows:
        ratio = api_ms / raw_ms
        lines.append(
            f"| {name} | {api_ms:.1f} ms | {raw_ms:.1f} ms | {ratio:.2f}× | {target} | "
            f"{'yes' if ratio <= bound else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=10, help="requests per median: 5 × n of each")
    args = parser.parse_args()
    with server(args.database_url, cpu=0) as (base, _pid):
        headers = admin_headers(args.database_url, base)
        rows = asyncio.run(scenarios(args.database_url, base, headers, args.n))
    print(table(rows))


if __name__ == "__main__":
    main()
