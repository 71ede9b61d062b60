"""Scaling out (issue 20): 1 vs 2 uvicorn workers on writes and reads, and a county report from the read
replica vs the primary. Everything on a throw-away primary + streaming replica of its own (bench/cluster.py).

    python -m bench.scale [--hazards 100000] [--seconds 10]

Prints a Markdown table; bench/README.md "Scaling out" holds the last run. CPU shares are read from /proc:
utime + stime of the API processes and of the primary's PostgreSQL processes over each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.cluster import Cluster, primary_and_replica
from bench.common import ROOT, SECRET, Driver, admin_headers, free_port
from bench.writes import api_rate

COUNTY = "500240"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # utime, stime, and cutime, cstime: a backend that exited during the run is counted in its parent
        total += sum(int(f) for f in fields[11:15])
    return total / TICKS


def _tree(root: int) -> list[int]:
    """`root` and every descendant process."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _postmaster(cluster: Cluster, name: str) -> int:
    return int((cluster.root / name / "postmaster.pid").read_text().split()[0])


@contextmanager
def api(database_url: str, workers: int, replica_url: str | None = None) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(ROOT / "data" / "bench-scale"),
        "DB_POOL_SIZE": "10",
        "DB_MAX_OVERFLOW": "5",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _institution() -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "name": f"压测机构{uuid.uuid4().hex[:8]}",
            "kind": "elderly_care",
            "region_code": COUNTY,
        }
    ).encode()


def throughput(cluster: Cluster, workers: int, seconds: float) -> dict[str, float]:
    with api(cluster.primary_url, workers) as (base, pid):
        auth = admin_headers(cluster.primary_url, base)["Authorization"]
        out: dict[str, float] = {}
        for label, method, path, make in (
            ("writes", "POST", "/api/v1/institutions", _institution),
            ("reads", "GET", f"/api/v1/hazards?region_code={COUNTY}&limit=20", lambda: b""),
        ):
            asyncio.run(api_rate(base, auth, make, path, method, 1.0))  # warm-up (rate, cpu) unused
            api_pids, pg_pids = _tree(pid), _tree(_postmaster(cluster, "primary"))
            api0, pg0 = _cpu_seconds(api_pids), _cpu_seconds(pg_pids)
            driver0 = time.process_time()
            out[label] = asyncio.run(api_rate(base, auth, make, path, method, seconds))[0]
            out[f"{label}_driver"] = (time.process_time() - driver0) / seconds
            api_cpu, pg_cpu = (
                _cpu_seconds(_tree(pid)) - api0,
                _cpu_seconds(_tree(_postmaster(cluster, "primary"))) - pg0,
            )
            out[f"{label}_db_share"] = pg_cpu / (api_cpu + pg_cpu) if api_cpu + pg_cpu else 0.0
            out[f"{label}_cpu"] = (api_cpu + pg_cpu) / seconds
        return out


async def _medians(bases: dict[str, str], auth: str, path: str, n: int) -> dict[str, float]:
    drivers = {}
    for name, base in bases.items():
        host, port = base.removeprefix("http://").split(":")
        drivers[name] = Driver(host, int(port), auth)
        await drivers[name].open()
    times: dict[str, list[float]] = {name: [] for name in bases}
    for i in range(n + 3):
        for name, d in drivers.items():  # alternating, so the machine's moods hit both alike
            t0 = time.perf_counter()
            await d.get(path)
            if i >= 3:
                times[name].append((time.perf_counter() - t0) * 1000)
    for d in drivers.values():
        await d.close()
    return {name: statistics.median(t) for name, t in times.items()}


def county_report(cluster: Cluster, n: int) -> dict[str, float]:
    with api(cluster.primary_url, 1, cluster.replica_url) as (rbase, _p1), api(cluster.primary_url, 1) as (pbase, _p2):
        auth = admin_headers(cluster.primary_url, pbase)["Authorization"]
        r = httpx.get(f"{rbase}/api/v1/reports/summary?region_code={COUNTY}", headers={"Authorization": auth})
        assert r.headers.get("x-read-from") == "replica", r.headers
        return asyncio.run(
            _medians({"replica": rbase, "primary": pbase}, auth, f"/api/v1/reports/summary?region_code={COUNTY}", n)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    started = time.time()
    with primary_and_replica() as cluster:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate",
                "--database-url",
                cluster.primary_url,
                "--hazards",
                str(args.hazards),
            ],
            check=True,
            cwd=ROOT,
        )
        cluster.psql(cluster.primary_port, "ANALYZE")
        lsn = cluster.psql(cluster.primary_port, "SELECT pg_current_wal_insert_lsn()")
        while cluster.psql(cluster.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") != "t":
            time.sleep(0.5)
        one, two = throughput(cluster, 1, args.seconds), throughput(cluster, 2, args.seconds)
        report = county_report(cluster, args.requests)
    load = os.getloadavg()[0]
    print(
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {(time.time() - started) / 60:.1f} "
        f"min, {args.hazards:,} hazards, 16 clients, {args.seconds:.0f} s per figure; load average at the end "
        f"{load:.2f} (machine shared with other work)\n"
    )
    print(
        "| scenario | 1 worker | 2 workers | ratio | DB share of API + DB CPU (1 / 2 workers) "
        "| cores busy, API + DB (1 / 2) | cores busy, load driver (1 / 2) |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, what in (("writes", "POST /institutions"), ("reads", f"GET /hazards?region_code={COUNTY}&limit=20")):
        print(
            f"| {what} | {one[label]:,.0f} req/s | {two[label]:,.0f} req/s | {two[label] / one[label]:.2f} | "
            f"{one[label + '_db_share']:.0%} / {two[label + '_db_share']:.0%} | "
            f"{one[label + '_cpu']:.2f} / {two[label + '_cpu']:.2f} | "
            f"{one[label + '_driver']:.2f} / {two[label + '_driver']:.2f} |"
        )
    print(f"\n| county summary ({COUNTY}), median of {args.requests} | replica | primary | ratio |\n|---|---|---|---|")
    print(
        f"| GET /reports/summary | {report['replica']:.1f} ms | {report['primary']:.1f} ms | "
        f"{report['replica'] / report['primary']:.2f} |"
    )


if __name__ == "__main__":
    main()
