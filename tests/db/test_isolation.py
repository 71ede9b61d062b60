"""What every test's isolation rests on, on both databases: the rolled-back outer transaction
(`tests.conftest.isolated`, the default) leaves no row behind, while the sessions inside it still commit and roll
back as their own units; the cleanup of `real_commits` tests (`tests.conftest.empty_every_table`) leaves no row
behind in any table, parents and children alike."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.db.session import Database
from app.models import Base
from tests import factories
from tests.conftest import Actor, empty_every_table, isolated

pytestmark = pytest.mark.real_commits  # both tests look at the database from outside a test's transaction


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


async def _users(db: Database) -> set[str]:
    async with db.sessionmaker() as s:
        return set((await s.scalars(select(User.username))).all())


async def test_a_rolled_back_test_leaves_nothing_and_its_sessions_commit_and_roll_back_on_their_own(
    clean_db: Database,
) -> None:
    async with isolated(clean_db):
        async with clean_db.write_session() as s:
            s.add(User(username="kept", password_hash="x", role=Role.viewer, region_code="", is_active=True))
            await s.commit()  # a SAVEPOINT released: seen by every later session of the test
        async with clean_db.write_session() as s:
            s.add(User(username="dropped", password_hash="x", role=Role.viewer, region_code="", is_active=True))
            await s.flush()
            await s.rollback()  # back to its SAVEPOINT: the committed row stays
        async with clean_db.write_session() as s:
            s.add(User(username="abandoned", password_hash="x", role=Role.viewer, region_code="", is_active=True))
            await s.flush()  # closed without a commit, as a use case that fails halfway
        assert await _users(clean_db) == {"kept"}
    assert await _users(clean_db) == set()  # the outer transaction was rolled back
