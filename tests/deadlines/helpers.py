"""Set-up shared by the deadline tests: a world around the 2025 National Day holiday, and ticks.

The 2025 calendar (国务院办公厅, 2024-11): 1–8 October off; Sunday 28 September and Saturday 11 October are
make-up working days (调休). So after Tuesday 30 September the working days are 9 Oct (1st), 10 Oct (2nd),
Saturday 11 Oct (3rd), 13 Oct (4th), 14 Oct (5th) … 21 Oct (10th) … 28 Oct (15th).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from app.core.config import Settings
from app.db.outbox import Event
from app.db.session import Database
from app.deadlines.service import TickResult, tick
from tests import factories

API = "/api/v1"
FOUND_ON = "2025-09-20"
DUE_ON = "2025-09-30"


@dataclass
class World:
    institution_id: str
    officer_ids: list[str]
    general: str
    major: str


async def world(client: httpx.AsyncClient, headers: dict[str, str], **institution: Any) -> World:
    """An institution, two officers, and an inspection on FOUND_ON with a general and a major hazard due DUE_ON."""
    inst = await factories.institution(client, headers, **institution)
    officers = [(await factories.officer(client, headers, region_code=inst["region_code"]))["id"] for _ in range(2)]
    hazards = [
        {"category": "fire_safety", "severity": "general", "description": "消防通道堆放杂物", "due_on": DUE_ON},
        {"category": "food", "severity": "major", "description": "食品留样记录缺失", "due_on": DUE_ON},
    ]
    general, major = await factories.inspect(client, headers, inst["id"], officers, FOUND_ON, hazards)
    return World(inst["id"], officers, general, major)


async def run_tick(db: Database, settings: Settings, on: str) -> TickResult:
    async with db.write_session() as session:
        return await tick(session, settings, date.fromisoformat(on))


async def events_of(db: Database, type_: str) -> list[dict[str, Any]]:
    async with db.sessionmaker() as s:
        rows = (await s.execute(select(Event.data).where(Event.type == type_).order_by(Event.seq))).scalars().all()
    return list(rows)


async def count_events(db: Database) -> int:
    async with db.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(Event)) or 0)


async def escalations(client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/hazards/{hazard_id}/escalations", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def levels(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["level"], e["raised_on"]) for e in items]
