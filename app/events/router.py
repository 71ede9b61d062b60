"""Routes: /events — the feed of what changed (API.md "Events"). Thin: parse, call one query, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import CurrentPrincipal
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit
from app.db.deps import ReadSession
from app.events import queries
from app.events.schemas import EventPage, EventRead

router = APIRouter(prefix="/events", tags=["events"])


@router.get(
    "",
    response_model=EventPage,
    summary="The events feed (oldest first; follow next_cursor)",
    description="Every event of your region exactly once, in commit order, also while writes commit concurrently. "
    "`next_cursor` is never null: pass it back to get what came after; an empty page means nothing new yet. "
    "An event shows here at most 5 seconds after its change committed. More types may be added: ignore "
    "types you do not know. Events are kept `EVENT_RETENTION_DAYS` (default 365).",
    responses=problem_responses(401, 422),
)
async def list_events(
    principal: CurrentPrincipal,
    session: ReadSession,
    cursor: Cursor,
    types: Annotated[
        str | None,
        Query(max_length=1000, description="comma-separated event types (e.g. hazard.created,hazard.transitioned)"),
    ] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> EventPage:
    events, position = await queries.list_events(session, principal, types, cursor.position, limit)
    next_cursor = cursor.issue(position)
    assert next_cursor is not None
    return EventPage(items=[EventRead.model_validate(e) for e in events], next_cursor=next_cursor)
