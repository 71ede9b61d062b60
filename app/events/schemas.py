"""Bodies of the events feed (API.md "Events")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import ReadModel


class EventRead(ReadModel):
    """One event. `type` is open-ended: more types may be added, and clients ignore those they do not know."""

    id: uuid.UUID = Field(description="unique; the `webhook-id` of its deliveries")
    type: str = Field(examples=["inspection.created"])
    occurred_at: datetime
    region_code: str = Field(description="the institution's (the plan's for draws, the officer's for officers)")
    data: dict[str, Any] = Field(description="the fields API.md lists for the type; ids and dates as strings")


class EventPage(BaseModel):
    """The list envelope of the feed: `next_cursor` is never null."""

    items: list[EventRead]
    next_cursor: str = Field(
        description="never null: pass it back as `cursor` to get what came after; an empty page means nothing new "
        "yet (poll again with the same cursor)"
    )
