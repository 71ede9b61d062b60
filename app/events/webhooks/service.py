"""Webhook use cases for admins: subscribe, change, unsubscribe, send a test, retry a failed delivery.

Rules (API.md "Webhooks"):
- Admins only (the router), inside their region: a subscription's `region_code` defaults to the caller's and
  must lie inside it; others' subscriptions are 404.
- The URL is checked (app.events.webhooks.urls) at create and change: a refused one is a 422 naming `url`.
- The secret (`whsec_` + base64 of 32 random bytes) is returned once, by the create.
- Deleting a subscription drops its deliveries, pending ones included.
- A test delivers a `webhook.test` event to this subscription only; it is not in the feed.
- Only a `failed` delivery can be retried (409 otherwise): one more attempt now, and if that fails it is
  `failed` again, with no new schedule.
- Each use case commits once.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import Conflict, ValidationFailed
from app.db.outbox import EventType
from app.events.schemas import EventRead
from app.events.webhooks import queries
from app.events.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from app.events.webhooks.schemas import WebhookCreate, WebhookUpdate
from app.events.webhooks.urls import AllowList, UrlRefused, check


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def _admit(url: str, allowed: AllowList) -> None:
    try:
        await check(url, allowed)
    except UrlRefused as exc:
        raise ValidationFailed.field(["body", "url"], str(exc)) from None


async def create_webhook(
    session: AsyncSession, data: WebhookCreate, actor: Principal, allowed: AllowList
) -> tuple[Webhook, str]:
    """Store the subscription; returns it and its secret (shown once)."""
    region = data.region_code if data.region_code is not None else actor.region_code
    scoping.ensure_writable(actor, region)
    await _admit(data.url, allowed)
    secret = new_secret()
    hook = Webhook(
        url=data.url,
        event_types=[t.value for t in data.event_types],
        region_code=region,
        description=data.description,
        enabled=data.enabled,
        secret=secret,
    )
    session.add(hook)
    await session.commit()
    return hook, secret


async def update_webhook(
    session: AsyncSession, webhook_id: uuid.UUID, data: WebhookUpdate, actor: Principal, allowed: AllowList
) -> Webhook:
    hook = await queries.get_webhook(session, webhook_id, actor)
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes:
        await _admit(changes["url"], allowed)
    if "event_types" in changes:
        changes["event_types"] = [EventType(t).value for t in changes["event_types"]]
    for name, value in changes.items():
        setattr(hook, name, value)
    await session.commit()
    return hook


async def delete_webhook(session: AsyncSession, webhook_id: uuid.UUID, actor: Principal) -> None:
    hook = await queries.get_webhook(session, webhook_id, actor)
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    await session.delete(hook)
    await session.commit()


async def send_test(session: AsyncSession, webhook_id: uuid.UUID, actor: Principal) -> WebhookDelivery:
    """Queue a `webhook.test` event for this subscription only (not recorded in the feed)."""
    hook = await queries.get_webhook(session, webhook_id, actor)
    now = clock.now()
    event = EventRead(
        id=uuid.uuid4(),
        type=EventType.webhook_test.value,
        occurred_at=now,
        region_code=hook.region_code,
        data={"webhook_id": str(hook.id)},
    )
    delivery = WebhookDelivery(
        webhook_id=hook.id,
        event_id=event.id,
        event_type=event.type,
        body=event.model_dump_json(),
        status=DeliveryStatus.pending,
        attempts=0,
        next_attempt_at=now,
        final_attempt=False,
        created_at=now,
    )
    session.add(delivery)
    await session.commit()
    return delivery


async def retry_delivery(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: Principal
) -> WebhookDelivery:
    delivery = await queries.get_delivery(session, webhook_id, delivery_id, actor)
    if delivery.status != DeliveryStatus.failed:
        raise Conflict(f"delivery {delivery_id} is {delivery.status.value}: only a failed delivery can be retried")
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = clock.now()
    delivery.final_attempt = True
    await session.commit()
    return delivery
