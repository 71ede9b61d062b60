"""EXPLAIN (ANALYZE, BUFFERS) of the statement the hazard list runs for one region, at page 1 and at a deep page
(the cursor after `--deep` rows), with the statement's median time as a client sees it (bench/README.md,
"What it took", point 10). Reads only; run it against a generated data set (bench.generate):

    python -m bench.list_pages --database-url postgresql://postgres@127.0.0.1:5432/inspection_tracker_bench \
        [--region 500240] [--deep 1950]

The statement is the one `app.hazards.queries.list_hazards` builds (captured, then rendered with its values),
for a national admin filtering by `--region`, 50 a page.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from app.auth.models import Role
from app.auth.principals import Principal, PrincipalKind
from app.core.config import normalize_database_url
from app.core.pagination import encode_cursor
from app.hazards import queries

LIMIT = 50


class _Capture:
    """Stands in for the session: keeps the statement and answers no rows."""

    statement: Any = None

    async def execute(self, statement: Any) -> Any:
        self.statement = statement

        class _NoRows:
            def all(self) -> list[Any]:
                return []

        return _NoRows()


async def list_sql(region: str, cursor: str | None, limit: int) -> str:
    """The SQL text of the list's statement, its values rendered in."""
    capture = _Capture()
    admin = Principal(PrincipalKind.user, uuid.uuid4(), "bench", Role.admin, "")
    await queries.list_hazards(capture, admin, queries.HazardFilters(region_code=region), cursor, limit)  # type: ignore[arg-type]
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(capture.statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def measure(url: str, region: str, deep: int) -> None:
    conn = await asyncpg.connect(normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(await list_sql(region, None, deep - 1))
        last = rows[deep - 1]
        pages = {"page 1": None, f"after {deep} rows": encode_cursor([last["found_on"], last["id"]])}
        for name, cursor in pages.items():
            sql = await list_sql(region, cursor, LIMIT)
            for _ in range(3):
                await conn.fetch(sql)  # warm the cache
            times = []
            for _ in range(20):
                start = time.perf_counter()
                await conn.fetch(sql)
                times.append((time.perf_counter() - start) * 1000)
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(f"==== {name}: median of 20 runs {statistics.median(times):.2f} ms (client side)")
            print("\n".join(r[0] for r in plan))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--region", default="500240")
    parser.add_argument("--deep", type=int, default=1950, help="the deep page starts after this many rows")
    args = parser.parse_args()
    asyncio.run(measure(args.database_url, args.region, args.deep))


if __name__ == "__main__":
    main()
