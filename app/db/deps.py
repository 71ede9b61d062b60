"""FastAPI dependencies that hand a route its database session.

A route that writes asks for `WriteSession` (on SQLite that serializes writers in this process); a route
that only reads asks for `ReadSession`. The session is closed after the response; it never commits here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import Database


async def get_database(request: Request) -> Database:
    """Async on purpose: a plain `def` dependency costs a thread-pool hop on every request."""
    db: Database = request.app.state.db
    return db


async def _read_session(db: Annotated[Database, Depends(get_database)]) -> AsyncIterator[AsyncSession]:
    async with db.query_session() as session:
        yield session


async def _write_session(db: Annotated[Database, Depends(get_database)]) -> AsyncIterator[AsyncSession]:
    async with db.write_session() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(_read_session)]
WriteSession = Annotated[AsyncSession, Depends(_write_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]
