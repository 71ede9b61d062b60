"""Shared set-up for the inspection tests: an institution with two certified officers, request bodies,
linked inspector accounts and reads of the stored rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.hazards.models import Hazard, HazardHistory
from app.inspections.models import Inspection, InspectionOfficer
from tests import factories
from tests.conftest import OWN_REGION, Actor, ActorFactory
from tests.officers.helpers import create_officer, fetch_all, link_officer

URL = "/api/v1/inspections"


@dataclass(frozen=True)
class World:
    """What most inspection tests need: a national admin, an institution and two certified officers."""

    admin: Actor
    institution: dict[str, Any]
    o1: dict[str, Any]
    o2: dict[str, Any]

    def body(self, **overrides: Any) -> dict[str, Any]:
        """A valid create body (2023-05-04, routine, two hazards); an override of `...` removes the field."""
        data = factories.inspection_body(self.institution["id"], [self.o1["id"], self.o2["id"]])
        return factories.overridden(data, overrides)


async def make_world(client: httpx.AsyncClient, admin: Actor) -> World:
    institution = await factories.institution(client, admin.headers)
    o1 = await create_officer(client, admin.headers, name="谭明")
    o2 = await create_officer(client, admin.headers, name="冉华")
    return World(admin, institution, o1, o2)


async def post(client: httpx.AsyncClient, actor: Actor, body: dict[str, Any]) -> httpx.Response:
    return await client.post(URL, json=body, headers=actor.headers)


async def create(client: httpx.AsyncClient, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    r = await post(client, actor, body)
    assert r.status_code == 201, r.text
    record: dict[str, Any] = r.json()
    return record


async def linked_inspector(
    client: httpx.AsyncClient,
    make_actor: ActorFactory,
    admin: Actor,
    officer_id: str | None,
    region_code: str = OWN_REGION,
) -> Actor:
    """An inspector account, linked to `officer_id` through PATCH /users/{user_id} (None: not linked)."""
    inspector = await make_actor(Role.inspector, region_code)
    if officer_id is not None:
        await link_officer(client, admin.headers, inspector.user_id, officer_id)
    return inspector


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many inspections, officer links, hazards and history rows are stored."""
    out: dict[str, int] = {}
    for name, model in (
        ("inspections", Inspection),
        ("officers", InspectionOfficer),
        ("hazards", Hazard),
        ("history", HazardHistory),
    ):
        rows = await fetch_all(session, select(func.count()).select_from(model))
        out[name] = int(rows[0][0])
    return out


async def history_rows(session: AsyncSession, inspection_id: str) -> list[Any]:
    """History rows of the inspection's hazards, with the hazard's position."""
    return await fetch_all(
        session,
        select(
            HazardHistory.hazard_id,
            HazardHistory.seq,
            HazardHistory.action,
            HazardHistory.from_status,
            HazardHistory.to_status,
            HazardHistory.actor_id,
            HazardHistory.actor_role,
            HazardHistory.on,
            Hazard.position,
        )
        .join(Hazard, Hazard.id == HazardHistory.hazard_id)
        .where(Hazard.inspection_id == uuid.UUID(inspection_id))
        .order_by(Hazard.position, HazardHistory.seq),
    )


def hazard(description: str, **fields: Any) -> dict[str, Any]:
    return {"category": "fire_safety", "severity": "general", "description": description, **fields}
