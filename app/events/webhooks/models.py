"""Subscriptions, their deliveries, and the fan-out position in the feed.

Rules:
- A subscription receives the events of its `region_code` subtree and `event_types` (empty = all) that occurred
  after it was created (`created_at`).
- A delivery is one event for one subscription (unique per pair): it carries the exact JSON body it sends, so
  pruning the feed never breaks a pending delivery, and `webhook-id` is the event's id on every attempt.
- `locked_until` is a worker's lease on a delivery it is attempting: nobody else attempts it before then, and a
  worker killed mid-attempt leaves a lease that simply runs out (the attempt is made again).
- `final_attempt` is set by the retry endpoint: that one extra attempt, if it fails, ends `failed` again.
- `webhook_fanout` holds one row: the feed position up to which events were turned into deliveries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class Webhook(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_region_code", "region_code"),)

    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    region_code: Mapped[str] = mapped_column(String(12))
    description: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The signing key itself is needed to sign (HMAC), so it is stored as issued; see SECURITY.md "Webhooks".
    secret: Mapped[str] = mapped_column(String(100))


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_created_at", "webhook_id", "created_at"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    final_attempt: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class WebhookFanout(Base):
    __tablename__ = "webhook_fanout"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
