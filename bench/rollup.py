"""A measured prototype for the national summary at 10× national data (issue 21, point 4): per-county partial
aggregates, kept per county and summed for the nation.

    python -m bench.rollup --database-url postgresql://postgres@127.0.0.1/it_bench10

Why this shape: every counter of the summary (API.md "Reports") is additive across counties — an institution,
its inspections and its hazards belong to exactly one county, so `institutions_inspected` (distinct) and
`institutions_covered` add up too; rates are computed from the counts. So the national figures are the sums of
the 2,800 county figures, and each county's figures come from the very statement the county report runs (no
second copy of the rules, whatever period, `as_of`, kind or township). A county's row is stale only when its data
version changes (app.db.versions bumps it in every write's transaction), so after a change in one county only
that county is recomputed (one county statement, ≈ 20 ms) and the nation is a sum over 2,800 × 2 small rows.

The script measures, on the data set at hand (period 2025, `as_of` 2025-12-31, as bench.run does):
  1. the national counters statement as the API sends it (best of `--repeat`);
  2. the cold build: every county's statement, one after another, into a table of partial aggregates;
  3. the national answer from that table, and that it equals 1. counter for counter;
  4. the refresh after a change in one county: its statement again, its rows replaced, and 3. again.
Nothing here changes the app: the table is a TEMP table of this session.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import asyncpg

from app.core.config import normalize_database_url
from app.reports.queries import COUNTERS
from app.reports.schemas import GroupBy
from bench.generate import COUNTY
from bench.run import report_sql

SUMS = ", ".join(f"sum({name})::bigint AS {name}" for name in COUNTERS)


def _totals(rows: list[asyncpg.Record]) -> dict[str, tuple[int, ...]]:
    return {row["key"]: tuple(int(row[name] or 0) for name in COUNTERS) for row in rows}


async def _timed(conn: asyncpg.Connection, sql: str) -> tuple[float, list[asyncpg.Record]]:
    start = time.perf_counter()
    rows = await conn.fetch(sql)
    return (time.perf_counter() - start) * 1000, rows


async def measure(url: str, repeat: int) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        national_sql = report_sql(GroupBy.kind, "")[0]
        national_ms = []
        for _ in range(repeat):
            elapsed, national = await _timed(conn, national_sql)
            national_ms.append(elapsed)
        counties = [r[0] for r in await conn.fetch("SELECT DISTINCT substr(region_code, 1, 6) FROM institutions")]
        columns = ", ".join(f"{name} bigint" for name in COUNTERS)
        await conn.execute(f"CREATE TEMP TABLE county_parts (county text, key text, {columns})")
        insert = f"INSERT INTO county_parts VALUES ($1, $2, {', '.join(f'${i + 3}' for i in range(len(COUNTERS)))})"

        async def refresh(county: str) -> float:
            elapsed, rows = await _timed(conn, report_sql(GroupBy.kind, county)[0])
            await conn.execute("DELETE FROM county_parts WHERE county = $1", county)
            await conn.executemany(insert, [(county, r["key"], *(r[name] for name in COUNTERS)) for r in rows])
            return elapsed

        start = time.perf_counter()
        county_ms = [await refresh(county) for county in counties]
        build_s = time.perf_counter() - start
        summed_sql = f"SELECT key, {SUMS} FROM county_parts GROUP BY key ORDER BY key"
        await conn.execute("CREATE INDEX ON county_parts (county)")
        await conn.execute("ANALYZE county_parts")
        summed_ms = []
        for _ in range(repeat):
            elapsed, summed = await _timed(conn, summed_sql)
            summed_ms.append(elapsed)
        equal = _totals(summed) == _totals(national)
        refresh_ms = []
        for _ in range(repeat):
            start = time.perf_counter()
            await refresh(COUNTY)
            _elapsed, summed = await _timed(conn, summed_sql)
            refresh_ms.append((time.perf_counter() - start) * 1000)
        equal = equal and _totals(summed) == _totals(national)
        hazards = await conn.fetchval("SELECT count(*) FROM hazards")
    finally:
        await conn.close()
    return {
        "hazards": hazards,
        "counties": len(counties),
        "national_ms": min(national_ms),
        "build_s": build_s,
        "county_median_ms": statistics.median(county_ms),
        "summed_ms": statistics.median(summed_ms),
        "refresh_ms": statistics.median(refresh_ms),
        "equal": equal,
        "national": _totals(national),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = normalize_database_url(args.database_url).replace("postgresql+asyncpg://", "postgresql://")
    f = asyncio.run(measure(url, args.repeat))
    print(f"data: {f['hazards']:,} hazards, {f['counties']:,} counties")
    print(f"1. national counters statement: {f['national_ms']:,.0f} ms (best of {args.repeat})")
    print(f"2. cold build, every county's statement: {f['build_s']:.1f} s (median {f['county_median_ms']:.1f} ms)")
    print(f"3. national from the partial aggregates: {f['summed_ms']:.1f} ms; equal to 1.: {f['equal']}")
    print(f"4. refresh after a change in {COUNTY} (its statement + rows + sum): {f['refresh_ms']:.1f} ms")
    ratio = f["national_ms"] / f["refresh_ms"]
    print(f"national answer after a change: {ratio:,.0f}× faster than the statement")
    print("national:", f["national"])


if __name__ == "__main__":
    main()
