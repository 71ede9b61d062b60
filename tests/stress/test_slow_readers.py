"""Slow readers cannot starve the service: against the API as a real uvicorn process, on SQLite and (when
TEST_DATABASE_URL is set) on PostgreSQL.

READERS raw sockets (a small receive buffer), as viewers (VIEWERS API keys, two sockets each: the most
EXPORTS_PER_CREDENTIAL allows), request GET /exports/hazards.csv — a ledger of several MB — read 1 KiB and
stop reading. While all of them are stalled, ORDINARY requests (/readyz, GET /institutions, the anonymous
public list) must each answer 200 in under MAX_LATENCY_S; a third export by a viewer already holding two is
429 with Retry-After; on PostgreSQL no session of the app is `idle in transaction`. Then the server cuts the
stalled connections after SEND_TIMEOUT_S (each body ends short of its Content-Length), and the viewers'
slots are free again (an export reads whole).

Slow (marked `slow`, run by `.ci/run` as `make test-slow`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.core.config import Settings
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine
from tests.stress.harness import (
    REGIONS,
    SECRET,
    TEST_DATABASE_URL,
    Server,
    World,
    asyncpg_dsn,
    running_server,
    seed,
    throwaway_database,
)

pytestmark = pytest.mark.slow

READERS = 20
VIEWERS = READERS // 2
ORDINARY = 100
ORDINARY_CONCURRENCY = 2
MAX_LATENCY_S = 1.0
SEND_TIMEOUT_S = 60.0  # long enough that every reader is still stalled while the load runs (a loaded box)
# A CSV ledger of ~7.5 MB in several partitions (service.PARTITION rows each): streamed straight from the
# database, each partition held a session while the client was not reading.
HAZARDS = 6400
HAZARDS_PER_INSPECTION = 200
DESCRIPTION_CHARS = 360
CSV_URL = "/api/v1/exports/hazards.csv"
PUBLIC_URL = "/api/v1/public/inspections?year=2024&region_code=500240"
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


@asynccontextmanager
async def _database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "postgresql":
        assert TEST_DATABASE_URL is not None
        async with throwaway_database(TEST_DATABASE_URL, "slowread") as url:
            yield url
        return
    url = f"sqlite:///{tmp_path / 'slowread.sqlite3'}"
    engine = make_engine(Settings(DATABASE_URL=url, SECRET_KEY=SECRET, _env_file=None))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    yield url


async def _seed_ledger(http: httpx.AsyncClient, world: World) -> None:
    region = world.regions[0]
    description = ("消防通道堆放杂物,疏散指示标志损坏" * 40)[:DESCRIPTION_CHARS]
    for n in range(HAZARDS // HAZARDS_PER_INSPECTION):
        body = {
            "institution_id": region.institution_ids[n % len(region.institution_ids)],
            "inspected_on": f"2024-03-{n % 28 + 1:02d}",
            "type": "routine",
            "officer_ids": region.officer_ids[:2],
            "summary": f"现场检查 {n}",
            "hazards": [
                {"category": "fire_safety", "severity": "general", "description": f"{k} {description}"}
                for k in range(HAZARDS_PER_INSPECTION)
            ],
        }
        r = await http.post("/api/v1/inspections", json=body, headers=world.admin_headers)
        assert r.status_code == 201, r.text


async def _viewer_keys(http: httpx.AsyncClient, world: World) -> list[str]:
    keys = []
    for n in range(VIEWERS):
        body = {"name": f"看板-{n}", "role": "viewer", "region_code": world.regions[0].code}
        r = await http.post("/api/v1/api-keys", json=body, headers=world.admin_headers)
        assert r.status_code == 201, r.text
        keys.append(r.json()["key"])
    return keys


@dataclass
class Reader:
    sock: socket.socket
    content_length: int
    body_read: int
    stalled_at: float


async def _stalled_reader(base: str, key: str) -> Reader:
    """A raw socket that sends the export request, reads the head and 1 KiB of body, then stops reading."""
    host, port = base.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, int(port)))
    request = f"GET {CSV_URL} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
    await loop.sock_sendall(sock, request.encode())
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 1024:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 1024), 60)
        assert chunk, f"connection closed early: {data[:300]!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = next(
        int(v) for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")) if k.lower() == b"content-length"
    )
    return Reader(sock, length, len(body), time.perf_counter())


async def _rest_of_body(reader: Reader, deadline: float) -> tuple[int, bool]:
    """Read what the server still sends: (body bytes read in all, whether the connection ended by then)."""
    loop = asyncio.get_running_loop()
    total = reader.body_read
    while (left := deadline - time.perf_counter()) > 0:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(reader.sock, 65536), left)
        except ConnectionResetError:
            return total, True
        except TimeoutError:
            break
        if not chunk:
            return total, True
        total += len(chunk)
    return total, False


async def _timed_get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[str, int, float]:
    started = time.perf_counter()
    r = await http.get(url, headers=headers)
    return url, r.status_code, time.perf_counter() - started


async def _ordinary_load(http: httpx.AsyncClient, world: World) -> list[tuple[str, int, float]]:
    urls = [("/readyz", {}), ("/api/v1/institutions", world.regions[0].inspector_headers), (PUBLIC_URL, {})]
    gate = asyncio.Semaphore(ORDINARY_CONCURRENCY)

    async def one(n: int) -> tuple[str, int, float]:
        url, headers = urls[n % len(urls)]
        async with gate:
            return await _timed_get(http, url, headers)

    return list(await asyncio.gather(*(one(n) for n in range(ORDINARY))))


def _held(pid: int, port: int) -> tuple[int, int]:
    """(client connections the server process holds on `port`, spooled export files it has open)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            targets.append(str(fd.readlink()))
    inodes = {t[len("socket:[") : -1] for t in targets if t.startswith("socket:[")}
    connections = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            connections += local_port == port and state != "0A" and inode in inodes  # 0A: LISTEN
    return connections, sum("/exports/" in t for t in targets)


async def _idle_in_transaction(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'inspection-tracker' AND state LIKE 'idle in transaction%'"
            )
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stalled_export_readers_do_not_slow_other_requests(backend: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(_database(backend, tmp_path))
        server: Server = await stack.enter_async_context(
            running_server(
                url,
                tmp_path,
                "server",
                # the public rate limit (per client IP) is not what is tested: the load comes from one address
                env={"SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT_S), "PUBLIC_RATE_LIMIT_PER_MINUTE": "10000"},
            )
        )
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=server.base, timeout=30))
        world = await seed(server, REGIONS[:1])  # the admin; one region's institutions, officers, inspector
        await _seed_ledger(http, world)
        keys = await _viewer_keys(http, world)
        baseline = await _ordinary_load(http, world)  # the same requests with no reader around
        port = int(server.base.rsplit(":", 1)[1])
        seeded = time.perf_counter()

        readers = await asyncio.gather(*(_stalled_reader(server.base, keys[n % VIEWERS]) for n in range(READERS)))
        for reader in readers:
            stack.callback(reader.sock.close)
        all_stalled = time.perf_counter()
        held_stalled = _held(server.pid, port)
        first_stall = min(r.stalled_at for r in readers)
        idle_before = await _idle_in_transaction(url) if backend == "postgresql" else 0
        third = await http.get(CSV_URL, headers={"Authorization": f"Bearer {keys[0]}"})
        answers = await _ordinary_load(http, world)
        idle_after = await _idle_in_transaction(url) if backend == "postgresql" else 0
        load_done = time.perf_counter()

        slowest = max(answers, key=lambda a: a[2])
        print(
            f"\nslow readers [{backend}]: ledger={readers[0].content_length / 1e6:.1f} MB, {READERS} readers "
            f"stalled {all_stalled - seeded:.1f}s after the first request; {ORDINARY} requests "
            f"({ORDINARY_CONCURRENCY} at a time) in {load_done - all_stalled:.2f}s, slowest {slowest[2]:.3f}s "
            f"({slowest[0]}), median {sorted(a[2] for a in answers)[ORDINARY // 2]:.3f}s; with no reader: "
            f"slowest {max(a[2] for a in baseline):.3f}s, median {sorted(a[2] for a in baseline)[ORDINARY // 2]:.3f}s; "
            f"statuses="
            f"{sorted({a[1] for a in answers})}; idle_in_transaction={idle_before}/{idle_after}; "
            f"seed={seeded - started:.1f}s"
        )
        assert [a for a in answers if a[1] != 200 or a[2] >= MAX_LATENCY_S] == [], server.log_tail()
        assert load_done - first_stall < SEND_TIMEOUT_S, "the load must run while every reader is stalled"
        assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
        assert third.headers["content-type"] == "application/problem+json"
        assert (idle_before, idle_after) == (0, 0)

        # The server cuts each stalled connection SEND_TIMEOUT_S after its send blocked: the body ends short.
        # Nothing is read until then (reading would unblock the server).
        await asyncio.sleep(max(r.stalled_at for r in readers) + SEND_TIMEOUT_S + 3 - time.perf_counter())
        deadline = time.perf_counter() + 30
        ends = await asyncio.gather(*(_rest_of_body(r, deadline) for r in readers))
        cut = time.perf_counter()
        assert all(closed for _, closed in ends), f"connections still open: {ends}"
        assert all(read < r.content_length for (read, _), r in zip(ends, readers, strict=True)), ends
        # ... and the viewers' export slots are free again: a whole ledger downloads.
        r = await http.get(CSV_URL, headers={"Authorization": f"Bearer {keys[0]}"})
        assert r.status_code == 200 and len(r.content) == readers[0].content_length
        # ... and the server let go of the readers' sockets and spool files (one connection left: this client's)
        held_after = _held(server.pid, port)
        assert held_stalled[0] >= READERS and held_after[0] <= 1 and held_after[1] == 0, (held_stalled, held_after)
        print(
            f"slow readers [{backend}]: all {READERS} cut {cut - first_stall:.1f}s after the first stall "
            f"(SEND_TIMEOUT_SECONDS={SEND_TIMEOUT_S:.0f}), bytes read before the cut "
            f"{min(e[0] for e in ends)}–{max(e[0] for e in ends)} of {readers[0].content_length}; "
            f"server held (client connections, spool files) {held_stalled} while stalled, {held_after} after; "
            f"total={time.perf_counter() - started:.1f}s"
        )
