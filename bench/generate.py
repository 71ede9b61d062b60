"""Generate a realistic data set straight into PostgreSQL with COPY (for the benchmarks, not for tests).

National scale by default: 40,000 institutions over ~2,800 counties, ~250,000 inspections and ~1,000,000
hazards in one year, with a skewed (Zipf-like) distribution of institutions per county, 2–3 officers per
inspection and 0–8 hazards per inspection. Every row satisfies the schema's constraints; the schema is
created by the project's own migrations first.

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench \
        --hazards 1000000 [--reset] [--seed 1]

The bench county `500240` has the same size at every scale (COUNTY_INSTITUTIONS institutions and
COUNTY_OFFICERS officers, so about 1,900 inspections and 7,500 hazards a year): growing the nation 10× leaves
its data alone, which is what the growth check of scenario 2 needs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from app.core.config import Settings, normalize_database_url
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine

PROVINCES = (
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
)
COUNTY = "500240"
COUNTY_INSTITUTIONS = 300
COUNTY_OFFICERS = 60
YEAR = 2025
CATEGORIES = (
    "fire_safety",
    "building",
    "electrical",
    "gas",
    "food",
    "medical",
    "service",
    "management",
    "license",
    "other",
)
TOWNSHIPS = ("城关镇", "南宾街道", "西沱镇", "黄水镇", "临溪镇", "悦崃镇", "马武镇", "沙子镇", "王场镇", "龙沙镇")
NOW = datetime(YEAR, 12, 31, 12, tzinfo=UTC)
FP = hashlib.sha256(b"bench").hexdigest()


class Progress:
    """A minimal progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.start = label, total, 0, time.perf_counter()

    def advance(self, n: int) -> None:
        self.done += n
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        sys.stderr.write(
            f"\r{self.label:<12} [{'#' * filled}{'.' * (width - filled)}] {self.done:>10,}/{self.total:,} {rate:,.0f}/s"
        )
        sys.stderr.flush()
        if self.done >= self.total:
            sys.stderr.write("\n")


def counties(n: int) -> list[str]:
    """`n` distinct county codes spread over the provinces; COUNTY first."""
    out = [COUNTY]
    i = 0
    while len(out) < n:
        p = PROVINCES[i % len(PROVINCES)]
        k = i // len(PROVINCES)
        code = f"{p}{1 + k // 20:02d}{1 + k % 20:02d}"
        if code != COUNTY:
            out.append(code)
        i += 1
    return out


def zipf_weights(n: int, s: float = 0.8) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]], total: int
) -> None:
    bar = Progress(table, total)
    for batch in chunks(rows, 50_000):
        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
        bar.advance(len(batch))


async def generate(url: str, n_hazards: int, seed: int, reset: bool) -> dict[str, int]:
    rng = random.Random(seed)
    scale = n_hazards / 1_000_000
    n_inst = max(2 * COUNTY_INSTITUTIONS, int(40_000 * scale))
    n_counties = max(10, min(2_800, int(2_800 * max(scale, 0.1))))
    n_inspections = max(10, int(250_000 * scale))
    n_officers = max(4 * COUNTY_OFFICERS, int(30_000 * scale))

    settings = Settings(DATABASE_URL=url, SECRET_KEY="bench-secret-key-0123456789-abcdefghij", _env_file=None)
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(pg_url)
    if reset:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine = make_engine(settings)
    await upgrade_to_head(engine)
    await engine.dispose()

    codes = counties(n_counties)
    others, weights = codes[1:], zipf_weights(len(codes) - 1)
    inst_region = [COUNTY] * COUNTY_INSTITUTIONS + rng.choices(others, weights=weights, k=n_inst - COUNTY_INSTITUTIONS)
    inst_ids = [uuid.uuid4() for _ in range(n_inst)]
    inst_kind = ["funeral" if rng.random() < 0.2 else "elderly_care" for _ in range(n_inst)]

    def institutions() -> Iterator[tuple[Any, ...]]:
        for i, iid in enumerate(inst_ids):
            status = "closed" if rng.random() < 0.02 else "active"
            yield (
                iid,
                f"机构{i:06d}",
                inst_kind[i],
                inst_region[i],
                TOWNSHIPS[i % len(TOWNSHIPS)],
                status,
                FP,
                NOW,
                NOW,
            )

    await copy(
        conn,
        "institutions",
        ("id", "name", "kind", "region_code", "township", "status", "create_fingerprint", "created_at", "updated_at"),
        institutions(),
        n_inst,
    )
    region_officers: dict[str, list[uuid.UUID]] = {}
    officer_rows = []
    for i in range(n_officers):
        if i < COUNTY_OFFICERS:
            region = COUNTY
        elif i < COUNTY_OFFICERS + 2 * len(others):
            region = others[i % len(others)]
        else:
            region = rng.choices(others, weights=weights)[0]
        oid = uuid.uuid4()
        region_officers.setdefault(region, []).append(oid)
        officer_rows.append(
            (
                oid,
                f"执法员{i:06d}",
                "社会福利中心" if i % 3 else "殡葬事务中心",
                region,
                f"BENCH{i:08d}",
                date(2020, 1, 1),
                date(2030, 12, 31),
                "valid",
                FP,
                NOW,
                NOW,
            )
        )
    await copy(
        conn,
        "officers",
        (
            "id",
            "name",
            "unit",
            "region_code",
            "certificate_no",
            "certificate_issued_on",
            "certificate_expires_on",
            "certificate_status",
            "create_fingerprint",
            "created_at",
            "updated_at",
        ),
        iter(officer_rows),
        n_officers,
    )

    start = date(YEAR, 1, 1)
    inspection_ids = [uuid.uuid4() for _ in range(n_inspections)]
    inspection_inst = rng.choices(range(n_inst), k=n_inspections)
    inspection_day = [start + timedelta(days=rng.randrange(365)) for _ in range(n_inspections)]

    def inspections() -> Iterator[tuple[Any, ...]]:
        for k, kid in enumerate(inspection_ids):
            yield (
                kid,
                inst_ids[inspection_inst[k]],
                inspection_day[k],
                "routine" if k % 4 else "special",
                uuid.UUID(int=0),
                "bench",
                FP,
                NOW,
                NOW,
            )

    await copy(
        conn,
        "inspections",
        (
            "id",
            "institution_id",
            "inspected_on",
            "type",
            "created_by_id",
            "created_by_name",
            "create_fingerprint",
            "created_at",
            "updated_at",
        ),
        inspections(),
        n_inspections,
    )

    def teams() -> Iterator[tuple[Any, ...]]:
        for k, kid in enumerate(inspection_ids):
            pool = region_officers.get(inst_region[inspection_inst[k]]) or region_officers[codes[0]]
            for pos, oid in enumerate(rng.sample(pool, min(2, len(pool)))):
                yield (kid, oid, pos)

    await copy(conn, "inspection_officers", ("inspection_id", "officer_id", "position"), teams(), n_inspections * 2)

    per_inspection = n_hazards / n_inspections

    def hazards() -> Iterator[tuple[Any, ...]]:
        made = 0
        for k, kid in enumerate(inspection_ids):
            count = rng.randint(0, int(per_inspection * 2)) if k < n_inspections - 1 else n_hazards - made
            count = min(count, n_hazards - made)
            for pos in range(count):
                found = inspection_day[k]
                due = found + timedelta(days=rng.choice((7, 15, 30, 60)))
                roll = rng.random()
                status, rectified, verified = "open", None, None
                if roll < 0.85:
                    rectified = min(found + timedelta(days=rng.randrange(0, 40)), date(YEAR, 12, 31))
                    status = "verified" if roll < 0.7 else "rectified"
                    verified = rectified if status == "verified" else None
                elif roll < 0.88:
                    status = "voided"
                elif roll < 0.93:
                    status = "rectifying"
                yield (
                    uuid.uuid4(),
                    kid,
                    inst_ids[inspection_inst[k]],
                    inst_region[inspection_inst[k]],
                    pos,
                    rng.choice(CATEGORIES),
                    "major" if rng.random() < 0.05 else "general",
                    "隐患描述",
                    due,
                    status,
                    found,
                    rectified,
                    verified,
                    1,
                    FP,
                    NOW,
                    NOW,
                )
                made += 1
            if made >= n_hazards:
                return

    await copy(
        conn,
        "hazards",
        (
            "id",
            "inspection_id",
            "institution_id",
            "region_code",
            "position",
            "category",
            "severity",
            "description",
            "due_on",
            "status",
            "found_on",
            "rectified_on",
            "verified_on",
            "version",
            "create_fingerprint",
            "created_at",
            "updated_at",
        ),
        hazards(),
        n_hazards,
    )
    await conn.execute("VACUUM ANALYZE")  # the steady state autovacuum reaches: statistics and visibility map
    total = await conn.fetchval("SELECT count(*) FROM hazards")
    county = await conn.fetchval(
        "SELECT count(*) FROM hazards h JOIN inspections i ON i.id = h.inspection_id "
        "JOIN institutions s ON s.id = i.institution_id WHERE s.region_code LIKE $1",
        COUNTY + "%",
    )
    await conn.close()
    return {
        "institutions": n_inst,
        "officers": n_officers,
        "inspections": n_inspections,
        "hazards": total,
        "county_hazards": county,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the schema first")
    args = parser.parse_args()
    t0 = time.perf_counter()
    counts = asyncio.run(generate(args.database_url, args.hazards, args.seed, args.reset))
    print(f"generated {counts} in {time.perf_counter() - t0:.1f}s (county {COUNTY})")


if __name__ == "__main__":
    main()
