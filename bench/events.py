"""Events and webhooks (issue 15): what the outbox costs the write path, and deliveries per second.

    python -m bench.events [--database-url postgresql://postgres@127.0.0.1:5432/it_bench_events]

1. Write path: `POST /inspections` with two hazards (one `inspection.created` and two `hazard.created` events, one
   multi-row INSERT), 8 concurrent in-process clients (httpx over ASGI), 300 requests a round, rounds with the
   outbox and with `record`/`record_many` replaced by no-ops, interleaved (with, without, ×3); medians and their
   ratio. The client's own cost is in both sides alike, so the ratio understates the outbox's share of the
   server's work, never overstates it.
2. Deliveries: one subscription to a local threaded HTTP receiver, 2,000 events recorded in one transaction, then
   `DeliveryWorker.run_once` until nothing is pending (fan-out, claim, 20 attempts at a time, settle).

The database named is wiped (schema `public` dropped). Both parts also run on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.auth.models import Role, User
from app.core.config import Settings, normalize_database_url
from app.core.security import create_access_token, hash_password
from app.db.migrate import upgrade_to_head
from app.db.outbox import EventType, record
from app.events.webhooks.models import DeliveryStatus, WebhookDelivery
from app.events.webhooks.worker import DeliveryWorker
from app.inspections import service as inspection_service
from app.main import create_app

SECRET = "bench-secret-key-0123456789abcdef0123"
REGION = "500240"
CLIENTS = 8
PER_ROUND = 300
EVENTS = 2000


async def _reset_pg(url: str) -> None:
    engine = create_async_engine(normalize_database_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 refuses connections when 20 attempts arrive at once
    daemon_threads = True


class _Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()


async def _setup(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, list[str]]:
    inst = await client.post(
        "/api/v1/institutions",
        json={"name": "测试敬老院", "kind": "elderly_care", "region_code": REGION, "township": "南宾街道"},
        headers=headers,
    )
    officers = []
    for n in range(2):
        r = await client.post(
            "/api/v1/officers",
            json={
                "name": f"执法员{n}",
                "unit": "社会福利中心",
                "region_code": REGION,
                "certificate_no": f"渝执法{uuid.uuid4().hex[:8]}",
                "certificate_issued_on": "2020-01-01",
                "certificate_expires_on": "2030-12-31",
            },
            headers=headers,
        )
        officers.append(r.json()["id"])
    return inst.json()["id"], officers


def _body(institution_id: str, officer_ids: list[str]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "institution_id": institution_id,
        "inspected_on": "2023-05-04",
        "type": "routine",
        "officer_ids": officer_ids,
        "summary": "检查消防设施",
        "hazards": [
            {"id": str(uuid.uuid4()), "category": "fire_safety", "severity": "general", "description": "通道堆物"},
            {"id": str(uuid.uuid4()), "category": "food", "severity": "major", "description": "留样缺失"},
        ],
    }


async def _round(client: httpx.AsyncClient, headers: dict[str, str], inst: str, officers: list[str]) -> float:
    queue = list(range(PER_ROUND))

    async def one_client() -> None:
        while queue:
            queue.pop()
            r = await client.post("/api/v1/inspections", json=_body(inst, officers), headers=headers)
            assert r.status_code == 201, r.text

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return PER_ROUND / (time.perf_counter() - started)


async def _with_patch(patched: bool, fn: Callable[[], Awaitable[float]]) -> float:
    names = ("record", "record_many")
    saved = {n: getattr(inspection_service, n) for n in names}
    if patched:
        for n in names:
            setattr(inspection_service, n, _noop)
    try:
        return await fn()
    finally:
        for n, f in saved.items():
            setattr(inspection_service, n, f)


async def bench(url: str, data_dir: Path) -> dict[str, float]:
    settings = Settings(
        DATABASE_URL=url,
        DATA_DIR=data_dir,
        SECRET_KEY=SECRET,
        WEBHOOK_WORKER_ENABLED=False,
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        _env_file=None,
    )
    app = create_app(settings)
    db = app.state.db
    await upgrade_to_head(db.engine)
    async with db.write_session() as s:
        admin = User(
            username=f"bench-{uuid.uuid4().hex[:6]}",
            password_hash=hash_password("x" * 12),
            role=Role.admin,
            region_code="",
            is_active=True,
        )
        s.add(admin)
        await s.commit()
    headers = {"Authorization": f"Bearer {create_access_token(admin.id, SECRET, timedelta(hours=2))}"}
    out: dict[str, float] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        inst, officers = await _setup(client, headers)
        with_outbox: list[float] = []
        without: list[float] = []
        await _round(client, headers, inst, officers)  # warm-up
        for _ in range(3):
            with_outbox.append(await _with_patch(False, lambda: _round(client, headers, inst, officers)))
            without.append(await _with_patch(True, lambda: _round(client, headers, inst, officers)))
        out["posts_per_s_with_outbox"] = statistics.median(with_outbox)
        out["posts_per_s_without_outbox"] = statistics.median(without)
        out["ratio"] = out["posts_per_s_with_outbox"] / out["posts_per_s_without_outbox"]

        server = _Server(("127.0.0.1", 0), _Receiver)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            r = await client.post(
                "/api/v1/webhooks",
                json={"url": f"http://127.0.0.1:{server.server_address[1]}/hook"},
                headers=headers,
            )
            assert r.status_code == 201, r.text
            async with db.write_session() as s:
                for n in range(EVENTS):
                    await record(s, EventType.draw_created, REGION, {"n": n})
                await s.commit()
            worker = DeliveryWorker(db, settings)
            started = time.perf_counter()
            async with httpx.AsyncClient(trust_env=False) as http:
                while await worker.run_once(http):
                    pass  # a round that claims nothing: all delivered (a failed attempt waits 5 s: counted below)
            elapsed = time.perf_counter() - started
            async with db.sessionmaker() as s:
                done = await s.scalar(select(func.count()).where(WebhookDelivery.status == DeliveryStatus.delivered))
            assert done == EVENTS, done
            out["deliveries_per_s"] = EVENTS / elapsed
        finally:
            server.shutdown()
            server.server_close()
    await db.dispose()
    return out


async def main_async(pg_url: str | None) -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = await bench(f"sqlite:///{tmp}/bench.sqlite3", Path(tmp))
    if pg_url:
        await _reset_pg(pg_url)
        with tempfile.TemporaryDirectory() as tmp:
            results["postgresql"] = await bench(pg_url, Path(tmp))
    print("| database | POST /inspections+2 hazards, req/s with outbox | without | ratio | webhook deliveries/s |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['posts_per_s_with_outbox']:.0f} | {r['posts_per_s_without_outbox']:.0f} | "
            f"{r['ratio']:.2f} | {r['deliveries_per_s']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="a throwaway PostgreSQL database (wiped)")
    args = parser.parse_args()
    asyncio.run(main_async(args.database_url))


if __name__ == "__main__":
    main()
