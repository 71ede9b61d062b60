"""`inspection-tracker worker` killed with SIGKILL in the middle of an attempt loses nothing: the next worker
makes the attempt again once the lease has run out, and the event is delivered (at least once). Slow: real
processes, a lease of 2 × WEBHOOK_TIMEOUT_SECONDS + 5 s."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.db.outbox import EventType, record
from app.db.session import Database
from tests.conftest import Actor
from tests.events.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow


def _worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env |= {
        "DATABASE_URL": settings.database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
        "DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.secret_key,
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_RETRY_SCHEDULE": "0,0",
        "WEBHOOK_POLL_SECONDS": "0.2",
    }
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait(predicate: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_worker_killed_mid_delivery_loses_nothing(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    settings: Settings,
    receiver: Receiver,
    allow_loopback: Settings,
    tmp_path: Path,
) -> None:
    r = await client.post("/api/v1/webhooks", json={"url": receiver.url("/stall-once")}, headers=admin.headers)
    assert r.status_code == 201, r.text
    async with clean_db.write_session() as s:
        event_id = str(await record(s, EventType.draw_created, "500240", {"plan_id": str(uuid.uuid4())}))
        await s.commit()
    log = tmp_path / "worker.log"
    first = _worker(settings, log)
    try:
        _wait(lambda: len(receiver.on("/stall-once")) == 1, 60, "the first attempt")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    second = _worker(settings, log)
    try:
        _wait(lambda: len(receiver.on("/stall-once")) >= 2, 60, "the attempt made again after the lease")
        got = receiver.on("/stall-once")
        assert {g.headers["webhook-id"] for g in got} == {event_id}
        for _ in range(50):
            deliveries = await client.get(f"/api/v1/webhooks/{r.json()['id']}/deliveries", headers=admin.headers)
            if deliveries.json()["items"][0]["status"] == "delivered":  # the settle commits just after the answer
                break
            await asyncio.sleep(0.1)
        assert deliveries.json()["items"][0]["status"] == "delivered", log.read_text()[-2000:]
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        finally:
            second.kill()
    assert second.returncode == 0, log.read_text()[-2000:]
