"""The migration that gives draws a signing key id (issue 12.5): draws stored before it are marked `legacy` and
still verify (their key is SECRET_KEY), also with DRAW_SIGNING_KEYS configured, and across a downgrade and
upgrade — on both databases."""

from __future__ import annotations

import uuid
from datetime import date

from alembic import command
from sqlalchemy import Connection, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.core import clock
from app.core.config import Settings
from app.db.migrate import alembic_config, upgrade_to_head
from app.plans import algorithm, draws
from app.plans.models import Draw, Plan
from tests.conftest import TEST_SECRET
from tests.db.test_migrations import scratch_engine  # noqa: F401  (the fixture)

BEFORE = "aa402a61f4b9"


async def _migrate(engine: AsyncEngine, step: str, target: str) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, target)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def _store_legacy_draw(engine: AsyncEngine) -> uuid.UUID:
    """A plan and a draw as the code before key ids stored them: signed with HMAC-SHA256(SECRET_KEY)."""
    plan_id, draw_id = uuid.uuid4(), uuid.uuid4()
    candidates: algorithm.Candidates = {
        "institutions": [{"id": str(uuid.uuid4()), "name": "A敬老院", "township": None, "region_code": "500240"}],
        "officers": [
            {"id": str(uuid.uuid4()), "name": n, "unit": "社会福利中心", "certificate_no": None} for n in ("甲", "乙")
        ],
        "conflicts": [],
    }
    params: algorithm.Parameters = {"count": 1, "team_size": 2, "max_teams_per_officer": 1}
    draw = Draw(
        id=draw_id,
        plan_id=plan_id,
        planned_on=date(2023, 6, 1),
        seed="ab" * 16,
        algorithm=algorithm.ALGORITHM,
        parameters=dict(params),
        candidates=dict(candidates),
        result=list(algorithm.draw("ab" * 16, candidates, params)),
        reason=None,
        replaces_draw_id=None,
        created_by_name="迁移前",
        created_at=clock.now(),
    )
    row = {c: getattr(draw, c) for c in draws.signed_payload(draw) if c not in ("id", "plan_id", "replaces_draw_id")}
    row |= {"signature": algorithm.sign(TEST_SECRET, draws.signed_payload(draw)), "created_by_name": "迁移前"}
    async with engine.begin() as conn:
        await conn.execute(
            insert(Plan).values(
                id=plan_id,
                year=2023,
                name="迁移前的计划",
                kinds=["elderly_care"],
                region_code="500240",
                type="routine",
                period_from=date(2023, 1, 1),
                period_to=date(2023, 12, 31),
                required_inspections=1,
                created_by_name="迁移前",
                create_fingerprint="0" * 64,
            )
        )
        await conn.execute(insert(Draw).values(id=draw_id, plan_id=plan_id, created_at=draw.created_at, **row))
    return draw_id


async def _verified(engine: AsyncEngine, draw_id: uuid.UUID, draw_keys: str) -> tuple[str, bool]:
    keys = Settings(SECRET_KEY=TEST_SECRET, DRAW_SIGNING_KEYS=draw_keys, _env_file=None).draw_keys
    async with async_sessionmaker(engine)() as s:
        draw = (await s.execute(select(Draw).where(Draw.id == draw_id))).scalar_one()
        return draw.signing_key_id, draws.verify(draw, keys).valid


async def test_draws_stored_before_key_ids_are_legacy_and_verify(scratch_engine: AsyncEngine) -> None:  # noqa: F811
    await _migrate(scratch_engine, "upgrade", BEFORE)
    async with scratch_engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("draws")})
    assert "signing_key_id" not in columns
    draw_id = await _store_legacy_draw(scratch_engine)
    await upgrade_to_head(scratch_engine)
    assert await _verified(scratch_engine, draw_id, "") == ("legacy", True)
    assert await _verified(scratch_engine, draw_id, "kid1:" + "1" * 40) == ("legacy", True)
    await _migrate(scratch_engine, "downgrade", BEFORE)
    await upgrade_to_head(scratch_engine)
    assert await _verified(scratch_engine, draw_id, "") == ("legacy", True)
