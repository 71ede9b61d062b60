"""Migrations are the only way the schema changes: the migrated database matches the models exactly.

The drift check is Alembic's own autogenerate comparison (`compare_metadata`), with the options
migrations/env.py uses (`compare_type=True`), run against the migrated database of each backend.
Alembic does not compare CHECK constraints, so their names are compared separately.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, Connection, Integer, MetaData, String, Table, insert, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.auth.models import User
from app.core.config import Settings, normalize_database_url
from app.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from app.db.session import Database, make_engine
from app.models import Base
from tests.conftest import TEST_DATABASE_URL, TEST_SECRET


def _diff(conn: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _check_constraints(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {
        table: {str(c["name"]) for c in inspector.get_check_constraints(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def _model_check_constraints() -> dict[str, set[str]]:
    return {
        table.name: {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        for table in Base.metadata.sorted_tables
    }


async def test_database_is_at_head(db: Database) -> None:
    head = head_revision()
    assert head is not None
    assert await current_revision(db.engine) == head


async def test_no_drift_between_models_and_migrations(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff, Base.metadata)
    assert diff == [], "models and migrations differ; generate a migration:\n" + "\n".join(map(repr, diff))


async def test_tables_and_check_constraints_match(db: Database) -> None:
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        checks = await conn.run_sync(_check_constraints)
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert checks == _model_check_constraints()


def _drifted_copy() -> MetaData:
    """The models with one added table, one added column and one narrowed column."""
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    institutions = copy.tables["institutions"]
    institutions.append_column(Column("drift_extra", Integer, nullable=True))
    institutions.c.name.type = String(100)
    Table("drift_only_in_models", copy, Column("id", Integer, primary_key=True))
    return copy


async def test_drift_check_sees_drift(db: Database) -> None:
    """The comparison above is not vacuous: it reports a table, a column and a type the database lacks."""
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff, _drifted_copy())
    flat = [d for entry in diff for d in (entry if isinstance(entry, list) else [entry])]
    kinds = {(d[0], getattr(d[-1], "name", None) if d[0] != "modify_type" else d[3]) for d in flat}
    assert ("add_table", "drift_only_in_models") in kinds
    assert ("add_column", "drift_extra") in kinds
    assert ("modify_type", "name") in kinds


@pytest.fixture
async def scratch_engine(backend: str, tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    """An empty database of the same backend: a new SQLite file, or a throwaway PostgreSQL schema."""
    if backend == "sqlite":
        settings = Settings(
            DATABASE_URL=f"sqlite:///{tmp_path / 'scratch.sqlite3'}",
            DATA_DIR=tmp_path,
            SECRET_KEY=TEST_SECRET,
            _env_file=None,
        )
        engine = make_engine(settings)
        yield engine
        await engine.dispose()
        return
    assert TEST_DATABASE_URL is not None
    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    url = normalize_database_url(TEST_DATABASE_URL)
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _downgrade(engine: AsyncEngine, target: str) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_upgrade_downgrade_upgrade_round_trip(scratch_engine: AsyncEngine) -> None:
    await upgrade_to_head(scratch_engine)
    async with scratch_engine.connect() as conn:
        assert await conn.run_sync(_diff, Base.metadata) == []
    await _downgrade(scratch_engine, "base")
    async with scratch_engine.connect() as conn:
        left = set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}
    assert left == set(), f"downgrade to base left tables behind: {left}"
    assert await current_revision(scratch_engine) is None
    await upgrade_to_head(scratch_engine)
    assert await current_revision(scratch_engine) == head_revision()
    async with scratch_engine.connect() as conn:
        assert await conn.run_sync(_diff, Base.metadata) == []
        assert await conn.run_sync(_check_constraints) == _model_check_constraints()


def _included(conn: Connection) -> dict[str, list[str]]:
    inspector = inspect(conn)
    return {
        str(ix["name"]): list(ix.get("dialect_options", {}).get("postgresql_include") or [])
        for table in inspector.get_table_names()
        for ix in inspector.get_indexes(table)
    }


async def test_postgresql_indexes_carry_the_declared_include_columns(db: Database) -> None:
    """Alembic's comparison ignores INCLUDE; the covering indexes the reports rely on are checked here."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("INCLUDE columns exist on PostgreSQL only")
    declared = {
        str(ix.name): list(ix.dialect_options["postgresql"]["include"] or [])
        for table in Base.metadata.sorted_tables
        for ix in table.indexes
    }
    async with db.engine.connect() as conn:
        actual = await conn.run_sync(_included)
    assert {name: actual[name] for name in declared} == declared
    assert actual["ix_hazards_inspection_position"] == ["found_on", "status", "severity", "due_on", "rectified_on"]


async def test_case_twin_usernames_stop_the_upgrade_and_are_named(scratch_engine: AsyncEngine) -> None:
    """A database holding `Admin` and `admin` cannot take the unique index on lower(username): the upgrade
    stops, names them, and changes nothing (issue 13, item 7)."""

    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "54fd4398ad91")  # users.sessions_valid_after: the revision before the index

    async with scratch_engine.begin() as conn:
        await conn.run_sync(run)
        now = datetime.now(UTC)
        for name in ("Admin", "admin", "li.si"):
            await conn.execute(
                insert(User).values(
                    id=uuid.uuid4(),
                    username=name,
                    password_hash="x",
                    role="admin",
                    region_code="",
                    is_active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    with pytest.raises(RuntimeError, match=r"admin \(2×\)"):
        await upgrade_to_head(scratch_engine)
    assert await current_revision(scratch_engine) == "54fd4398ad91"
