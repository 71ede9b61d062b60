"""Reading subscriptions and their delivery log, inside the caller's region (app.auth.scoping)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.errors import NotFound
from app.core.pagination import page_of, paginate
from app.events.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery


async def get_webhook(session: AsyncSession, webhook_id: uuid.UUID, actor: Principal) -> Webhook:
    """The subscription, or 404 when there is none or it lies outside the caller's region."""
    return await scoping.get_visible(session, Webhook, webhook_id, actor, "webhook")


async def list_webhooks(
    session: AsyncSession, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[Webhook], str | None]:
    """The caller's region's subscriptions, oldest first."""
    stmt = scoping.scoped(select(Webhook), Webhook.region_code, actor)
    stmt = paginate(stmt, [Webhook.created_at, Webhook.id], cursor, limit, parse=[datetime, uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda w: [w.created_at, w.id])


async def get_delivery(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: Principal
) -> WebhookDelivery:
    """A delivery of a subscription the caller can see, or 404."""
    await get_webhook(session, webhook_id, actor)
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound(f"delivery {delivery_id} not found")
    return delivery


async def list_deliveries(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    actor: Principal,
    status: DeliveryStatus | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[WebhookDelivery], str | None]:
    """A subscription's deliveries, newest first."""
    await get_webhook(session, webhook_id, actor)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    keys = [WebhookDelivery.created_at, WebhookDelivery.id]
    stmt = paginate(stmt, keys, cursor, limit, parse=[datetime, uuid.UUID], descending=True)
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda d: [d.created_at, d.id])
