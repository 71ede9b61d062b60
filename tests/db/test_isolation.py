"""The per-test cleanup (`tests.conftest.empty_every_table`) leaves no row behind in any table, parents and
children alike, on both databases: what every other test's isolation rests on."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from app.db.session import Database
from app.models import Base
from tests import factories
from tests.conftest import Actor, empty_every_table


async def _row_counts(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as s:
        return {
            t.name: (await s.execute(select(func.count()).select_from(t))).scalar_one()
            for t in Base.metadata.sorted_tables
        }


async def test_cleanup_empties_every_table_with_foreign_keys_in_place(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    hazards = [{"category": "food", "severity": "major", "description": "食品留样记录缺失"}]
    [hazard_id] = await factories.inspect(client, admin.headers, inst["id"], officers, "2023-05-04", hazards)
    await factories.move(client, admin.headers, hazard_id, "start", "2023-05-05")
    before = await _row_counts(clean_db)
    filled = {"users", "institutions", "officers", "inspections", "inspection_officers", "hazards", "hazard_history"}
    assert {name for name, n in before.items() if n > 0} >= filled

    await empty_every_table(clean_db)

    assert await _row_counts(clean_db) == dict.fromkeys(before, 0)
