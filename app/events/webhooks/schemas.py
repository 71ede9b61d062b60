"""Webhook bodies (API.md "Webhooks"). The secret is only in the answer of the create."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from app.core.schemas import ReadModel, ScopeRegionCode, StrictInput, refuse_null
from app.db.outbox import EventType
from app.events.webhooks.models import DeliveryStatus

WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    Field(
        description="where deliveries are POSTed: https to a public host, or a host of WEBHOOK_ALLOWED_HOSTS",
        examples=["https://hooks.example.gov.cn/inspection-tracker"],
    ),
]
EventTypes = Annotated[
    list[EventType],
    Field(max_length=len(EventType), description="the types to receive; empty or absent: every type"),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _unique(types: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(types))


class WebhookCreate(StrictInput):
    url: WebhookUrl
    event_types: EventTypes = Field(default_factory=list)
    region_code: ScopeRegionCode | None = Field(
        default=None, description="whose events (a subtree); default the caller's region; inside it"
    )
    description: Description | None = None
    enabled: bool = True

    _dedupe = field_validator("event_types")(classmethod(lambda cls, v: _unique(v)))


class WebhookUpdate(StrictInput):
    """Partial update; only the fields sent are changed."""

    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = None
    description: Description | None = None

    _not_null = field_validator("url", "event_types", "enabled", mode="before")(refuse_null)
    _dedupe = field_validator("event_types")(classmethod(lambda cls, v: _unique(v) if v is not None else v))


class WebhookRead(ReadModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    region_code: str
    description: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="whsec_ + base64 of 32 random bytes: the signing key, shown only here")


class DeliveryRead(ReadModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class Accepted(ReadModel):
    """202: the work is queued for the delivery worker."""

    delivery_id: uuid.UUID
    status: DeliveryStatus
