"""The migration that stores the institution's region on each hazard (issue 21): hazards stored before it get
their institution's region_code, the index is there, and a downgrade and upgrade give the same — on both
databases."""

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

BEFORE = "c4d9e2f1a7b3"
REGIONS = ("500240", "500240101", "500101")

OLD_HAZARDS = sa.table(
    "hazards",
    *(
        sa.column(name, Hazard.__table__.c[name].type)
        for name in (
            "id",
            "inspection_id",
            "institution_id",
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


async def _columns(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("hazards")})


async def _store_old_hazards(engine: AsyncEngine) -> dict[uuid.UUID, str]:
    """One institution per region with one inspection and two hazards, as the schema before the migration held
    them; hazard id -> the institution's region."""
    expected = {}
    now = clock.now()
    async with engine.begin() as conn:
        for i, region in enumerate(REGIONS):
            institution_id, inspection_id = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                insert(Institution).values(
                    id=institution_id,
                    name=f"迁移前敬老院{i}",
                    kind="elderly_care",
                    region_code=region,
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
            for position in range(2):
                hazard_id = uuid.uuid4()
                await conn.execute(
                    insert(OLD_HAZARDS).values(
                        id=hazard_id,
                        inspection_id=inspection_id,
                        institution_id=institution_id,
                        position=position,
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
                expected[hazard_id] = region
    return expected


async def _stored(engine: AsyncEngine) -> tuple[dict[uuid.UUID, str], set[str | None]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(Hazard.id, Hazard.region_code))).all()
        indexes = await conn.run_sync(lambda c: {ix["name"] for ix in inspect(c).get_indexes("hazards")})
    return {r.id: r.region_code for r in rows}, indexes


async def test_hazards_stored_before_get_their_institutions_region(scratch_engine: AsyncEngine) -> None:  # noqa: F811
    await _migrate(scratch_engine, "upgrade", BEFORE)
    assert "region_code" not in await _columns(scratch_engine)
    expected = await _store_old_hazards(scratch_engine)
    await upgrade_to_head(scratch_engine)
    regions, indexes = await _stored(scratch_engine)
    assert regions == expected
    assert {"ix_hazards_region_found_on", "ix_hazards_found_on_id", "ix_hazards_open_due"} <= indexes
    await _migrate(scratch_engine, "downgrade", BEFORE)
    assert "region_code" not in await _columns(scratch_engine)
    await upgrade_to_head(scratch_engine)
    assert (await _stored(scratch_engine))[0] == expected
