"""The repeated-call probe: every read scenario called 50 times in a row on ONE keep-alive connection, against a
server whose pool holds one database connection, so every call reuses the same PostgreSQL session and its
prepared statements. PostgreSQL switches a prepared statement to a generic plan after five executions under
`plan_cache_mode = auto`; a read whose generic plan is worse than its custom one gets slower from call 6 on
(the county hazard list: 28 → 190 ms). Reported per endpoint: call 2 (planned, connection warm), the median and
the maximum of calls 6–50, the step median(6–50) / median(2–5) (target ≤ 1.3: a generic plan slows every call
after the fifth) and max(6–50) / call 2 (on a shared machine one call in 45 is often slow for other reasons).
The endpoints are called round robin (call 1 of each, then call 2 of each, …).

    python -m bench.repeat --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench \
        [--modes auto,force_custom_plan] [--rounds 2] [--calls 50]

With `--modes` the probe runs once per mode and round on a fresh server (`DB_PLAN_CACHE_MODE`), alternating
modes (auto, custom, auto, custom, …), so that the before/after comparison shares the machine's state.
Used by `bench.suite` (`make bench`) with the app's own settings, one round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.core.config import normalize_database_url
from bench import writes
from bench.common import admin_headers, server
from bench.generate import COUNTY, YEAR
from bench.run import COUNTY_ROW, LIST_ROW, MONTH_ROW, NATIONAL_ROW, PERIOD, TOWNSHIP_ROW, driver

CALLS = 50
# One pooled connection, and no background worker (webhook deliveries, deadline tick) taking it meanwhile.
ONE_CONNECTION = {
    "DB_POOL_SIZE": "1",
    "DB_MAX_OVERFLOW": "0",
    "WEBHOOK_WORKER_ENABLED": "false",
    "TICK_ENABLED": "false",
}


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    params: dict[str, str]
    row: str | None = None  # the bench.suite scenario whose row shows it; None: a row of its own


@dataclass(frozen=True)
class Repeat:
    """The times (ms) of consecutive calls of one endpoint on one connection."""

    times: list[float]

    @property
    def call2(self) -> float:
        return self.times[1]

    @property
    def later(self) -> list[float]:
        return self.times[5:]

    @property
    def median(self) -> float:
        return statistics.median(self.later)

    @property
    def max(self) -> float:
        return max(self.later)

    @property
    def spike(self) -> float:
        """max(6–50) / call 2: the literal "every call within 1.3× of call 2"."""
        return self.max / self.call2

    @property
    def within(self) -> int:
        """How many of calls 6–50 took at most 1.3× call 2 (the literal criterion, call by call)."""
        return sum(t <= 1.3 * self.call2 for t in self.later)

    @property
    def ratio(self) -> float:
        """median(6–50) / median(2–5): the step a generic plan makes from call 6 on (the criterion: one slow
        call among 45 is the shared machine, a generic plan slows every call after the fifth)."""
        return self.median / statistics.median(self.times[1:5])

    def text(self) -> str:
        return (
            f"{self.call2:,.1f} → {self.median:,.1f} / {self.max:,.1f} ms: step {self.ratio:.2f}, "
            f"max {self.spike:.2f}, {self.within}/{len(self.later)} within 1.3× of call 2"
        )


async def _ids(url: str) -> tuple[str, str]:
    """A hazard and an inspection of the bench county (for the detail views)."""
    conn = await asyncpg.connect(normalize_database_url(url).replace("postgresql+asyncpg", "postgresql"))
    try:
        row = await conn.fetchrow(
            "SELECT h.id AS hazard, h.inspection_id AS inspection FROM hazards h "
            "JOIN institutions i ON i.id = h.institution_id WHERE i.region_code = $1 ORDER BY h.id LIMIT 1",
            COUNTY,
        )
    finally:
        await conn.close()
    assert row is not None, "no hazard in the bench county: generate the data first"
    return str(row["hazard"]), str(row["inspection"])


def cases(hazard_id: str, inspection_id: str) -> list[Case]:
    county = {**PERIOD, "region_code": COUNTY}
    listing = {"region_code": COUNTY, "limit": "50"}
    return [
        Case("county summary", "/api/v1/reports/summary", county, COUNTY_ROW),
        Case("national summary", "/api/v1/reports/summary", PERIOD, NATIONAL_ROW),
        Case("county by township", "/api/v1/reports/breakdown", {**county, "group_by": "township"}, TOWNSHIP_ROW),
        Case("county by month", "/api/v1/reports/breakdown", {**county, "group_by": "month"}, MONTH_ROW),
        Case("hazard list (county, 50)", "/api/v1/hazards", listing, LIST_ROW),
        Case("7. hazard detail `GET /hazards/{id}`", f"/api/v1/hazards/{hazard_id}", {}),
        Case("7. inspection detail `GET /inspections/{id}`", f"/api/v1/inspections/{inspection_id}", {}),
        Case("7. inspection list `GET /inspections` (county, 50)", "/api/v1/inspections", listing),
        Case("7. institution list `GET /institutions` (county, 50)", "/api/v1/institutions", listing),
        Case("7. event feed `GET /events?limit=50`", "/api/v1/events", {"limit": "50"}),
        Case(
            "7. county ledger CSV `GET /exports/hazards.csv` (500240)",
            "/api/v1/exports/hazards.csv",
            {"region_code": COUNTY, "found_from": f"{YEAR}-01-01", "found_to": f"{YEAR}-12-31"},
        ),
    ]


async def _probe(base: str, headers: dict[str, str], todo: list[Case], calls: int) -> dict[str, Repeat]:
    os.sched_setaffinity(0, {1})  # the server has core 0
    c = await driver(base, headers)
    times: dict[str, list[float]] = {case.name: [] for case in todo}
    try:
        for _ in range(calls):  # round robin: a moment of load on the machine spreads over the endpoints
            for case in todo:
                t0 = time.perf_counter()
                await c.get(case.path, case.params)
                times[case.name].append((time.perf_counter() - t0) * 1000)
    finally:
        await c.close()
    return {name: Repeat(t) for name, t in times.items()}


def measure(url: str, mode: str | None = None, calls: int = CALLS) -> tuple[list[Case], dict[str, Repeat]]:
    """The probe on a fresh server (one worker on core 0, a pool of one connection); `mode` sets
    DB_PLAN_CACHE_MODE (None: the app's default)."""
    todo = cases(*asyncio.run(_ids(url)))
    env = {**ONE_CONNECTION, **({"DB_PLAN_CACHE_MODE": mode} if mode else {})}
    with server(url) as (base, _pid):  # signing in takes two connections (the login throttle has its own)
        headers = admin_headers(url, base)
    with server(url, cpu=0, env=env) as (base, _pid):
        return todo, asyncio.run(_probe(base, headers, todo, calls))


async def _write_rates(
    url: str, bases: dict[str, str], headers: dict[str, str], seconds: float, rounds: int
) -> dict[str, dict[str, list[float]]]:
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    insts, officers = await writes.targets(pg_url)
    ops = await writes.capture(url, headers, insts[0], officers)
    keep = {uuid.UUID(i) for i in insts} | {uuid.UUID(o) for o in officers}
    keep |= {
        v for op in ops if op.kind == "sql" and "FROM users" in op.sql for v in op.params if isinstance(v, uuid.UUID)
    }

    def post() -> bytes:
        return json.dumps(writes.body(random.choice(insts), officers)).encode()

    out: dict[str, dict[str, list[float]]] = {mode: {"api": [], "sql": []} for mode in bases}
    for _ in range(rounds):
        for mode, base in bases.items():
            writes.pin(1)
            rate, _cpu = await writes.api_rate(
                base, headers["Authorization"], post, "/api/v1/inspections", "POST", seconds
            )
            out[mode]["api"].append(rate)
            writes.pin(0)
            settings = {"plan_cache_mode": mode}
            out[mode]["sql"].append(await writes.limit_rate(pg_url, ops, keep, seconds, settings))
    return out


def write_cost(url: str, modes: list[str], seconds: float, rounds: int) -> dict[str, dict[str, list[float]]]:
    """What the plan cache mode costs the write path: `POST /inspections` (16 clients) on one server per mode,
    and the very statements it sends replayed by asyncpg on connections in that mode (bench.writes), alternating
    mode by mode, round by round. Adds rows to the bench county: run it after the read probes."""
    with ExitStack() as stack:
        bases = {mode: stack.enter_context(server(url, cpu=0, env={"DB_PLAN_CACHE_MODE": mode}))[0] for mode in modes}
        headers = admin_headers(url, next(iter(bases.values())))
        return asyncio.run(_write_rates(url, bases, headers, seconds, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--modes", default="auto,force_custom_plan", help="DB_PLAN_CACHE_MODE values, alternated")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--times", help="write every call's time (JSON) into this file")
    parser.add_argument("--writes", type=float, default=0, help="seconds per figure of the write-path comparison")
    args = parser.parse_args()
    if args.writes:
        print(f"load average at the start: {os.getloadavg()[0]:.2f}")
        rates = write_cost(args.database_url, args.modes.split(","), args.writes, args.rounds)
        for mode, rate in rates.items():
            print(
                f"{mode}: API {', '.join(f'{r:.0f}' for r in rate['api'])} req/s; "
                f"SQL {', '.join(f'{r:.0f}' for r in rate['sql'])} tx/s"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        return
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    print(
        "| mode | round | endpoint | call 1 | call 2 | p50 6–50 | max 6–50 | step p50(6–50) / p50(2–5) | max / call 2 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    dump: list[dict[str, object]] = []
    for r in range(args.rounds):
        for mode in args.modes.split(","):
            todo, figures = measure(args.database_url, mode, args.calls)
            for case in todo:
                f = figures[case.name]
                print(
                    f"| {mode} | {r + 1} | {case.name} | {f.times[0]:,.1f} | {f.call2:,.1f} | "
                    f"{f.median:,.1f} | {f.max:,.1f} | {f.ratio:.2f} | {f.spike:.2f} |",
                    flush=True,
                )
                dump.append({"mode": mode, "round": r + 1, "endpoint": case.name, "times": f.times})
            print(f"load average after {mode}: {os.getloadavg()[0]:.2f}", flush=True)
    if args.times:
        Path(args.times).write_text(json.dumps(dump))


if __name__ == "__main__":
    main()
