"""Webhook deliveries per second to a local receiver, against the receiver's own ceiling.

    python -m bench.webhooks --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench_webhooks

The database is emptied (schema dropped) and migrated. One subscription (the whole country) is stored, then
`--events` events are recorded in committed transactions of 500 (`app.db.outbox.record_many`). One
`DeliveryWorker` (the code `serve` and `inspection-tracker worker` run) follows the feed and delivers until every
delivery is `delivered`: fan-out, claims with leases, signed POSTs (Standard Webhooks), outcomes written back.

The receiver is a separate process (a threaded `http.server`, HTTP/1.1 keep-alive, answers 200), so it does not
share the worker's event loop. Its ceiling is measured in the same run: the same httpx client POSTs the same
bodies with the same concurrency (the worker's claim batch) and nothing else.

Placement: the worker on core 0, the receiver on core 1 (`os.sched_setaffinity`), PostgreSQL wherever the kernel
puts it. The machine is shared with other work: read the figures as ±20 %.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

from app.core import clock
from app.core.config import Settings, normalize_database_url
from app.db.migrate import upgrade_to_head
from app.db.outbox import EventType, record_many
from app.db.session import Database
from app.events.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from app.events.webhooks.service import new_secret
from app.events.webhooks.worker import CLAIM_BATCH, DeliveryWorker
from bench.common import free_port

BATCH = 500


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops the SYNs of 20 concurrent connects (1 s retransmit each)
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the worker closes each connection after the status line: resets are expected


def _serve(port: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    server = _Server(("127.0.0.1", port), _Handler)
    server.serve_forever()


async def _ceiling(url: str, body: str, n: int) -> float:
    """POSTs per second the receiver takes from one httpx client at the worker's concurrency, each sent and
    closed as the worker does (status line only, then the connection is dropped), without the database."""
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        done = 0
        start = time.perf_counter()

        async def one() -> None:
            nonlocal done
            while done < n:
                done += 1
                request = client.build_request("POST", url, content=body, headers={"content-type": "application/json"})
                response = await client.send(request, stream=True)
                await response.aclose()
                assert response.status_code == 200

        await asyncio.gather(*(one() for _ in range(CLAIM_BATCH)))
        return n / (time.perf_counter() - start)


async def run(url: str, n_events: int) -> dict[str, Any]:
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(pg_url)
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    await conn.close()
    port = free_port()
    settings = Settings(
        DATABASE_URL=url,
        SECRET_KEY="bench-secret-key-0123456789-abcdefghij",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_RETRY_SCHEDULE="1,1,1",
        _env_file=None,
    )
    db = Database(settings)
    await upgrade_to_head(db.engine)
    receiver = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    try:
        hook_url = f"http://127.0.0.1:{port}/hook"
        async with httpx.AsyncClient(trust_env=False) as probe:
            for _ in range(100):
                try:
                    await probe.post(hook_url, content=b"{}")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        async with db.write_session() as s:
            s.add(Webhook(url=hook_url, event_types=[], region_code="", secret=new_secret(), created_at=clock.now()))
            await s.commit()
        await asyncio.sleep(0.01)  # events occur after the subscription was created
        for start in range(0, n_events, BATCH):
            specs = [
                (EventType.draw_created, "500240", {"plan_id": str(uuid.uuid4()), "draw_id": str(uuid.uuid4())})
                for _ in range(min(BATCH, n_events - start))
            ]
            async with db.write_session() as s:
                await record_many(s, specs)
                await s.commit()
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {0})
        worker = DeliveryWorker(db, settings)
        start_t = time.perf_counter()
        async with httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False) as client:
            while True:
                await worker.run_once(client)
                async with db.read_session() as s:
                    pending = await s.scalar(
                        select(func.count())
                        .select_from(WebhookDelivery)
                        .where(WebhookDelivery.status != DeliveryStatus.delivered)
                    )
                    total = await s.scalar(select(func.count()).select_from(WebhookDelivery))
                if total == n_events and pending == 0:
                    break
        elapsed = time.perf_counter() - start_t
        async with db.read_session() as s:
            body = (await s.scalars(select(WebhookDelivery.body).limit(1))).one()
        ceiling = await _ceiling(hook_url, body, n_events)
    finally:
        receiver.kill()
        receiver.join()
        await db.dispose()
    return {"events": n_events, "seconds": elapsed, "per_second": n_events / elapsed, "ceiling": ceiling}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_WEBHOOKS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/inspection_tracker_bench_webhooks"
        ),
    )
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    result = asyncio.run(run(args.database_url, args.events))
    print(
        f"{result['events']} deliveries in {result['seconds']:.1f} s: {result['per_second']:,.0f} deliveries/s; "
        f"receiver ceiling (bare httpx POSTs, {CLAIM_BATCH} concurrent, no database): {result['ceiling']:,.0f} req/s; "
        f"ratio {result['per_second'] / result['ceiling']:.2f}"
    )


if __name__ == "__main__":
    main()
