"""Running Alembic from code: `upgrade_to_head` (CLI `migrate`, `serve`, tests) and `current_revision`.

Alembic runs synchronously on a connection that the async engine hands over (`run_sync`), so the same
env.py serves the CLI, the server start-up and the tests without a second (sync) driver.

`current_revision` (called by `/readyz` on every probe) reads Alembic's version table with plain SQL: a
`MigrationContext` would log two INFO lines ("Context impl …", "Will assume …") each time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(engine: AsyncEngine) -> None:
    def _run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None before the first migration. Several heads (a branched history
    applied) come back joined with commas, so they never equal `head_revision()`."""

    def _current(conn: Connection) -> str | None:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()  # noqa: S608
        return ",".join(sorted(rows)) or None

    async with engine.connect() as conn:
        return await conn.run_sync(_current)
