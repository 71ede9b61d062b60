"""The migration that stores the institution on each hazard (issue 12, item 2): hazards stored before it get
their inspection's institution, and the list filtered by institution finds them — on both databases."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy import insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import clock
from app.db.migrate import upgrade_to_head
from app.hazards.models import Hazard
from app.inspections.models import Inspection
from app.institutions.models import Institution
from tests.db.test_draw_key_migration import _migrate
from tests.db.test_migrations import scratch_engine  # noqa: F401  (the fixture)

BEFORE = "cd3fe93d5a4b"

OLD_HAZARDS = sa.table(
    "hazards",
    *(
        sa.column(name, Hazard.__table__.c[name].type)
        for name in (
            "id",
            "inspection_id",
            "position",
            "category",
            "severity",
            "description",
            "status",
            "found_on",
            "version",
            "create_fingerprint",
            "created_at",
            "updated_at",
        )
    ),
)


async def _store_old_hazards(engine: AsyncEngine) -> dict[uuid.UUID, uuid.UUID]:
    """Two institutions with one inspection and one hazard each, as the schema before the migration held them;
    hazard id -> institution id."""
    expected = {}
    async with engine.begin() as conn:
        for i in range(2):
            institution_id, inspection_id, hazard_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                insert(Institution).values(
                    id=institution_id,
                    name=f"迁移前敬老院{i}",
                    kind="elderly_care",
                    region_code="500240",
                    create_fingerprint="0" * 64,
                )
            )
            await conn.execute(
                insert(Inspection).values(
                    id=inspection_id,
                    institution_id=institution_id,
                    inspected_on=date(2023, 5, 10),
                    type="routine",
                    created_by_id=uuid.uuid4(),
                    created_by_name="迁移前",
                    create_fingerprint="0" * 64,
                )
            )
            now = clock.now()
            await conn.execute(
                insert(OLD_HAZARDS).values(
                    id=hazard_id,
                    inspection_id=inspection_id,
                    position=0,
                    category="fire_safety",
                    severity="general",
                    description="消防通道堆放杂物",
                    status="open",
                    found_on=date(2023, 5, 10),
                    version=1,
                    create_fingerprint="0" * 64,
                    created_at=now,
                    updated_at=now,
                )
            )
            expected[hazard_id] = institution_id
    return expected


async def test_hazards_stored_before_get_their_inspections_institution(scratch_engine: AsyncEngine) -> None:  # noqa: F811
    await _migrate(scratch_engine, "upgrade", BEFORE)
    async with scratch_engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("hazards")})
    assert "institution_id" not in columns
    expected = await _store_old_hazards(scratch_engine)
    await upgrade_to_head(scratch_engine)
    async with scratch_engine.connect() as conn:
        rows = (await conn.execute(select(Hazard.id, Hazard.institution_id))).all()
        indexes = await conn.run_sync(lambda c: {ix["name"] for ix in inspect(c).get_indexes("hazards")})
    assert dict(rows) == expected
    assert "ix_hazards_institution_found_on" in indexes
    await _migrate(scratch_engine, "downgrade", BEFORE)
    await upgrade_to_head(scratch_engine)
    async with scratch_engine.connect() as conn:
        assert dict((await conn.execute(select(Hazard.id, Hazard.institution_id))).all()) == expected
