"""Ledger export under load: the server's peak memory growth while streaming the CSV of every hazard, and its
throughput against PostgreSQL's own `COPY (…) TO STDOUT` of the same columns.

    python -m bench.export_memory --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench

Method: one uvicorn worker; its RSS is read from /proc every 5 ms from a side thread while the client
downloads the CSV and throws it away; growth = peak RSS during the download − RSS after a warm-up request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time

import asyncpg
import httpx

from app.core.config import normalize_database_url
from bench.common import admin_headers, rss_bytes, server

COPY_QUERY = """
  SELECT s.name, s.kind, s.township, h.found_on,
         (SELECT string_agg(o.name, '、' ORDER BY io.position) FROM inspection_officers io
            JOIN officers o ON o.id = io.officer_id WHERE io.inspection_id = h.inspection_id),
         h.category, h.severity, h.description, h.due_on, h.status, h.rectified_on, h.verified_on
  FROM hazards h JOIN inspections i ON i.id = h.inspection_id JOIN institutions s ON s.id = i.institution_id
  ORDER BY h.found_on, h.inspection_id, h.position
"""


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.005)


async def copy_seconds(url: str) -> tuple[float, int]:
    conn = await asyncpg.connect(normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"))
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    t0 = time.perf_counter()
    await conn.copy_from_query(COPY_QUERY, output=sink, format="csv")
    elapsed = time.perf_counter() - t0
    rows = await conn.fetchval("SELECT count(*) FROM hazards")
    await conn.close()
    return elapsed, int(rows)


def measure(url: str) -> dict[str, float]:
    with server(url) as (base, pid):
        headers = admin_headers(url, base)
        httpx.get(f"{base}/api/v1/exports/hazards.csv", params={"found_from": "2100-01-01"}, headers=headers)
        baseline = rss_bytes(pid)
        sampler = Sampler(pid)
        sampler.start()
        rows = 0
        t0 = time.perf_counter()
        with httpx.stream("GET", f"{base}/api/v1/exports/hazards.csv", headers=headers, timeout=600) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes():
                rows += chunk.count(b"\n")
        api_seconds = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
    copy_s, db_rows = asyncio.run(copy_seconds(url))
    return {
        "rows": rows - 1,
        "db_rows": db_rows,
        "baseline_rss_mb": baseline / 2**20,
        "peak_growth_mb": (sampler.peak - baseline) / 2**20,
        "api_seconds": api_seconds,
        "api_rows_per_s": (rows - 1) / api_seconds,
        "copy_seconds": copy_s,
        "throughput_vs_copy": copy_s / api_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    print(json.dumps(measure(args.database_url), indent=2))


if __name__ == "__main__":
    main()
