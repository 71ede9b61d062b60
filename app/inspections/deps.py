"""Request-level dependencies of the inspection routes."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from app.inspections.service import PlanLookup


async def _plan_lookup(request: Request) -> PlanLookup:
    """Async on purpose (a plain `def` costs a thread-pool hop per request).

    The plan reader wired by the composition root (`app.main.create_app`): plans sit above inspections,
    so inspections are handed the reader instead of importing it."""
    return cast("PlanLookup", request.app.state.plan_lookup)


Plans = Annotated[PlanLookup, Depends(_plan_lookup)]
