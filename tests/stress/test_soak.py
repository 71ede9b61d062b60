"""Soak: the server's resident memory stays flat under a long mix of requests, on SQLite and PostgreSQL.

One real uvicorn process, seeded with a ledger of 3,200 hazards (≈ 4 MB as CSV), then up to SOAK_REQUESTS
(default 6,000) requests from the rotation in `tests.stress.soak` (reads of every list and report, creates,
CSV and XLSX exports of the whole ledger, 10,000-hazard bodies, oversized bodies, failed logins from several
addresses and logins past the lock), or as many as SOAK_SECONDS allow on a slow box. The server's VmRSS is
read from /proc every SAMPLE_EVERY answers, at a moment when no export, large body or password check is in
flight (argon2 holds 64 MiB while it runs: that is a peak, not what stays).

Checked: every answer is the status a user would see for it (no 5xx); the locked username gets exactly
LOGIN_MAX_FAILURES_PER_USER password checks, then 429; and after the warm-up (the first WARM_UP share of the
requests, at least WARM_UP_MIN_REQUESTS) RSS never rises more than GROWTH_BOUND_MB above the highest sample of
the warm-up.

Why GROWTH_BOUND_MB is 30 on PostgreSQL (measured on this shared 2-core box, 24–80 req/s; SECURITY.md, Memory):
after a warm-up of 1,500 requests PostgreSQL rose +1.7 to +7 MB and was flat from 9,000 to 12,000 requests; a leak
of one request's worth of objects (≈ 2 KB) per request would add 30 MB within 15,000 requests. SQLite is NOT
shown flat: +17 to +31 MB after the warm-up of 3,000–5,000-request runs, still rising (7–9 MB steps at CSV
exports while creates grow the file), and not from SQLite's page cache (a pool of 3 connections, cache ≤ 6 MiB,
rose +30 MB too). Its bound, 40 MB over the second half of 6,000 requests, only catches a fast leak; the cause
is open (SECURITY.md, Memory). The warm-up is half the run: in 6,000 requests PostgreSQL still rose +19.5 and
+24.4 MB after a 1,500-request warm-up (two clean-clone runs), settling only near 9,000; after 3,000 it rose
about +10 MB (SQLite about +14 MB). The series is printed (`-s`).

Slow (marked `slow`, run by `.ci/run` as `make test-slow`); each database gets its own fresh database.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.stress.harness import TEST_DATABASE_URL, running_server, seed, throwaway_database
from tests.stress.soak import Soak, SoakTally, migrated_sqlite, seed_soak

pytestmark = pytest.mark.slow

BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]
# The same work on a fast and a slow machine (CI is quieter than the box these figures come from); raise it
# with SOAK_REQUESTS for a longer look.
REQUESTS = int(os.environ.get("SOAK_REQUESTS", "6000"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "80"))
MIN_REQUESTS = 2_000  # below, the part after the warm-up is too short to say anything
SAMPLE_EVERY = 100
WARM_UP, WARM_UP_MIN_REQUESTS = 0.5, 1_500
GROWTH_BOUND_MB = {"postgresql": 30.0, "sqlite": 40.0}
LOGIN_MAX_FAILURES_PER_USER = 5  # the server's default


@asynccontextmanager
async def _database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield await migrated_sqlite(tmp_path / "soak.sqlite3")
        return
    assert TEST_DATABASE_URL is not None
    async with throwaway_database(TEST_DATABASE_URL, "soak") as url:
        yield url


def _growth(tally: SoakTally) -> tuple[float, float, int]:
    """(highest RSS of the warm-up, highest after it, requests in the warm-up), in MB."""
    warm = max(int(tally.requests * WARM_UP), WARM_UP_MIN_REQUESTS)
    during = [s.rss_mb for s in tally.samples if s.requests <= warm]
    after = [s.rss_mb for s in tally.samples if s.requests > warm]
    assert during and len(after) >= 5, f"too few samples: {tally.series()}"
    return max(during), max(after), warm


@pytest.mark.parametrize("backend", BACKENDS)
async def test_rss_stays_flat_after_warm_up(backend: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    async with _database(backend, tmp_path) as url, running_server(url, tmp_path, "server") as server:
        world = await seed_soak(server, await seed(server))
        seeded = time.perf_counter() - started
        tally = await Soak(server, world, sample_every=SAMPLE_EVERY).run(REQUESTS, SECONDS)
        load = time.perf_counter() - started - seeded
        warm_peak, after_peak, warm = _growth(tally)
        samples = tally.samples
        print(
            f"\nsoak {backend}: {tally.summary()} load={load:.0f}s ({tally.requests / load:.0f} req/s) "
            f"seed={seeded:.0f}s\n  rss MB start={samples[0].rss_mb:.0f} warm-up peak={warm_peak:.0f} "
            f"(first {warm} requests) peak after={after_peak:.0f} end={samples[-1].rss_mb:.0f} "
            f"growth after warm-up={after_peak - warm_peak:+.1f} (bound {GROWTH_BOUND_MB[backend]:.0f})\n"
            f"  series (requests:MB) {tally.series()}"
        )
        assert not tally.problems, "\n".join(tally.problems[:20]) + f"\nserver log:\n{server.log_tail()}"
        assert tally.requests >= MIN_REQUESTS, f"only {tally.requests} requests in {SECONDS:.0f} s"
        kinds = {kind for kind, _ in tally.by_kind}
        assert kinds == {"read", "create", "export", "body_422", "body_413", "login_401", "login_locked"}
        assert tally.by_kind["login_locked", 401] == LOGIN_MAX_FAILURES_PER_USER
        assert tally.by_kind["login_locked", 429] >= 1
        assert after_peak - warm_peak <= GROWTH_BOUND_MB[backend], tally.series()
