"""The delivery worker: turns new feed events into deliveries, attempts what is due, prunes what is old.

Rules:
- Fan-out follows the feed (app.events.queries, commit order below PostgreSQL's horizon) from the position in
  `webhook_fanout`; the deliveries and the new position commit together, and (webhook_id, event_id) is unique,
  so an event becomes at most one delivery per subscription however many workers run. On PostgreSQL one worker
  fans out at a time (the position row is locked, others skip it).
- A due delivery is claimed by setting a lease (`locked_until`) in a short transaction; on PostgreSQL the claim
  skips rows another worker has locked (`FOR UPDATE SKIP LOCKED`), and a leased row is not claimed again until
  its lease runs out, so one delivery is never attempted twice at once. A worker killed mid-attempt loses
  nothing: its lease runs out and the delivery is attempted again (at least once).
- The outcome is written only while the lease is still the worker's own.
- Retries follow `WEBHOOK_RETRY_SCHEDULE`: after attempt n fails, the next is due after the n-th delay; when
  there is none left (or the attempt was a manual retry) the delivery is `failed`.
- Finished deliveries and events older than `EVENT_RETENTION_DAYS` are pruned about once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scoping import within
from app.core import clock
from app.core.config import Settings, parse_retry_schedule
from app.db.session import Database
from app.events.queries import feed_page
from app.events.schemas import EventRead
from app.events.service import prune_events
from app.events.webhooks.delivery import Outcome, attempt
from app.events.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookFanout
from app.events.webhooks.urls import AllowList

log = logging.getLogger("app.webhooks")
FANOUT_BATCH = 500
CLAIM_BATCH = 20
PRUNE_EVERY = timedelta(hours=1)


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def fan_out(session: AsyncSession) -> int:
    """Turn the next batch of feed events into deliveries; commit; return how many events were taken."""
    is_pg = session.get_bind().dialect.name == "postgresql"
    await session.execute(_insert(session)(WebhookFanout).values(id=1, txid=0, seq=0).on_conflict_do_nothing())
    stmt = select(WebhookFanout).where(WebhookFanout.id == 1)
    if is_pg:
        stmt = stmt.with_for_update(skip_locked=True)
    position = (await session.scalars(stmt)).one_or_none()
    if position is None:  # another worker is fanning out right now
        await session.rollback()
        return 0
    events = await feed_page(session, (position.txid, position.seq), FANOUT_BATCH)
    if not events:
        await session.commit()
        return 0
    hooks = (await session.scalars(select(Webhook).where(Webhook.enabled.is_(True)))).all()
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for event in events:
        body: str | None = None
        for hook in hooks:
            if event.occurred_at < hook.created_at or not within(hook.region_code, event.region_code):
                continue
            if hook.event_types and event.type not in hook.event_types:
                continue
            body = body or EventRead.model_validate(event).model_dump_json()
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "webhook_id": hook.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "body": body,
                    "status": DeliveryStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "final_attempt": False,
                    "created_at": now,
                }
            )
    if rows:
        await session.execute(_insert(session)(WebhookDelivery).values(rows).on_conflict_do_nothing())
    position.txid, position.seq = events[-1].txid, events[-1].seq
    await session.commit()
    return len(events)


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    url: str
    secret: str
    event_id: uuid.UUID
    body: str
    attempts: int
    final_attempt: bool
    lease: datetime


async def claim(session: AsyncSession, now: datetime, lease_seconds: float, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Lease up to `limit` due deliveries of enabled subscriptions; commit; return what to attempt."""
    stmt = (
        select(WebhookDelivery, Webhook.url, Webhook.secret)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
            (WebhookDelivery.locked_until.is_(None)) | (WebhookDelivery.locked_until < now),
            Webhook.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = (await session.execute(stmt)).all()
    lease = now + timedelta(seconds=lease_seconds)
    claimed = []
    for delivery, url, secret in rows:
        delivery.locked_until = lease
        claimed.append(
            Claimed(
                delivery.id,
                url,
                secret,
                delivery.event_id,
                delivery.body,
                delivery.attempts,
                delivery.final_attempt,
                lease,
            )
        )
    await session.commit()
    return claimed


async def settle(
    session: AsyncSession, claimed: Claimed, outcome: Outcome, at: datetime, schedule: Sequence[float]
) -> bool:
    """Write the outcome of one attempt while the lease is still ours; commit; False if it was not."""
    attempts = claimed.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_attempt_at": at,
        "locked_until": None,
        "final_attempt": False,
    }
    if outcome.delivered:
        values |= {"status": DeliveryStatus.delivered, "delivered_at": at, "next_attempt_at": None}
    elif claimed.final_attempt or attempts > len(schedule):
        values |= {"status": DeliveryStatus.failed, "next_attempt_at": None}
    else:
        values |= {"next_attempt_at": at + timedelta(seconds=schedule[attempts - 1])}
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claimed.id, WebhookDelivery.locked_until == claimed.lease)
        .values(**values)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def prune(session: AsyncSession, now: datetime, retention_days: int) -> int:
    """Delete finished deliveries and the feed's events older than the retention, in one commit."""
    cutoff = now - timedelta(days=retention_days)
    result = await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_([DeliveryStatus.delivered, DeliveryStatus.failed]),
            WebhookDelivery.created_at < cutoff,
        )
    )
    events = await prune_events(session, now, retention_days)  # commits both deletions
    return int(getattr(result, "rowcount", 0)) + events


class DeliveryWorker:
    """One worker: `run_once` does one round; `run` repeats it until `stop` is set."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.allowed = AllowList.parse(settings.WEBHOOK_ALLOWED_HOSTS)
        self.schedule = parse_retry_schedule(settings.WEBHOOK_RETRY_SCHEDULE)
        self.timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        self.lease_seconds = 2 * self.timeout + 5  # outlives any attempt; a killed worker's lease soon ends
        self._pruned_at: datetime | None = None

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Fan out, attempt what is due (concurrently), prune when due; the number of attempts made."""
        while True:
            async with self.db.write_session() as s:
                if await fan_out(s) < FANOUT_BATCH:
                    break
        async with self.db.write_session() as s:
            claimed = await claim(s, clock.now(), self.lease_seconds)
        await asyncio.gather(*(self._deliver(client, c) for c in claimed))
        now = clock.now()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            async with self.db.write_session() as s:
                await prune(s, now, self.settings.EVENT_RETENTION_DAYS)
            self._pruned_at = now
        return len(claimed)

    async def _deliver(self, client: httpx.AsyncClient, claimed: Claimed) -> None:
        at = clock.now()
        outcome = await attempt(
            client, claimed.url, self.allowed, claimed.secret, str(claimed.event_id), claimed.body, at, self.timeout
        )
        async with self.db.write_session() as s:
            if not await settle(s, claimed, outcome, at, self.schedule):
                log.warning("delivery %s: lease lost before its outcome was written", claimed.id)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            while not stop.is_set():
                try:
                    busy = await self.run_once(client)
                except Exception:  # a database hiccup must not end the loop; the next round tries again
                    log.exception("webhook worker round failed")
                    busy = 0
                if busy:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.WEBHOOK_POLL_SECONDS)
