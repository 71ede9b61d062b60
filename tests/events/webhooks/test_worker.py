"""The worker's life: `serve`'s background task delivers and stops cleanly, retention prunes old events and
finished deliveries, and a retry schedule that does not parse refuses to start (both databases)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from app.core import clock
from app.core.config import Settings
from app.db.outbox import Event, EventType, record
from app.db.session import Database
from app.events.webhooks.models import DeliveryStatus, WebhookDelivery
from app.events.webhooks.worker import prune
from app.main import create_app
from tests.conftest import OWN_REGION, Actor
from tests.events.webhooks.receiver import Receiver

pytestmark = pytest.mark.real_commits  # see tests/conftest.py


async def test_serve_delivers_in_the_background_and_stops_cleanly(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, allow_loopback: Settings, receiver: Receiver
) -> None:
    r = await client.post("/api/v1/webhooks", json={"url": receiver.url("/ok")}, headers=admin.headers)
    assert r.status_code == 201, r.text
    serving = create_app(
        allow_loopback.model_copy(update={"WEBHOOK_WORKER_ENABLED": True, "WEBHOOK_POLL_SECONDS": 0.1})
    )
    async with serving.router.lifespan_context(serving):
        async with clean_db.write_session() as s:
            event_id = await record(s, EventType.draw_created, OWN_REGION, {"plan_id": str(uuid.uuid4())})
            await s.commit()
        for _ in range(200):
            if receiver.on("/ok"):
                break
            await asyncio.sleep(0.05)
        assert [g.headers["webhook-id"] for g in receiver.on("/ok")] == [str(event_id)]
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "webhook-worker"]
    assert tasks == [], "the worker task ended with the app"


async def test_retention_prunes_old_events_and_finished_deliveries_only(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, allow_loopback: Settings
) -> None:
    r = await client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=admin.headers)
    hook = r.json()["id"]
    for _ in range(3):
        assert (await client.post(f"/api/v1/webhooks/{hook}/test", headers=admin.headers)).status_code == 202
    async with clean_db.write_session() as s:
        ids = [await record(s, EventType.draw_created, OWN_REGION, {"n": n}) for n in range(3)]
        await s.commit()
    old = clock.now() - timedelta(days=400)
    async with clean_db.write_session() as s:
        await s.execute(update(Event).where(Event.id.in_(ids[:2])).values(occurred_at=old))
        rows = (await s.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id))).all()
        await s.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == rows[0]).values(created_at=old, status="delivered")
        )
        await s.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == rows[1]).values(created_at=old, status="pending")
        )
        await s.commit()
    async with clean_db.write_session() as s:
        assert await prune(s, clock.now(), 365) == 3
    async with clean_db.sessionmaker() as s:
        assert (await s.scalars(select(Event.id))).all() == [ids[2]]
        left = (await s.execute(select(WebhookDelivery.id, WebhookDelivery.status))).all()
    assert sorted(str(d.id) for d in left) == sorted(str(i) for i in rows[1:])
    assert {d.status for d in left} == {DeliveryStatus.pending}


async def test_a_retry_schedule_that_does_not_parse_refuses_to_start() -> None:
    for bad in ("5,x", "-1", "5,,9999999"):
        with pytest.raises(ValidationError, match="WEBHOOK_RETRY_SCHEDULE"):
            Settings(WEBHOOK_RETRY_SCHEDULE=bad, _env_file=None)
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOWED_HOSTS"):
        Settings(WEBHOOK_ALLOWED_HOSTS="good.example.org,bad host!", _env_file=None)
    assert Settings(WEBHOOK_RETRY_SCHEDULE="", _env_file=None).WEBHOOK_RETRY_SCHEDULE == ""
