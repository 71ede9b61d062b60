"""Alembic environment: the URL comes from Settings; a caller may hand over an open connection.

`app.db.migrate.upgrade_to_head` passes a connection (async engine, `run_sync`); the `alembic` command
line has none, so one is opened here from `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from app.core.config import get_settings
from app.db.base import UTCDateTime
from app.db.session import make_engine
from app.models import Base

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _ctx: AutogenContext) -> str | Literal[False]:
    """Render the UTC type decorator as the plain column type it stores (migrations import no app code)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = make_engine(get_settings())
    async with engine.begin() as conn:
        await conn.run_sync(_configure_and_run)
    await engine.dispose()


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=get_settings().database_url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
    else:
        asyncio.run(_run_online())


run()
