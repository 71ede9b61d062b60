"""FastAPI dependencies that hand a route its database session.

A route that writes asks for `WriteSession` (on SQLite that serializes writers in this process); a route
that only reads asks for `ReadSession`. Reports, lists, exports and feeds, which may read slightly old data,
ask for `ReplicaSession` (or `ReplicaDatabase` for a session of their own): the read replica when one is
configured, healthy and has replayed the caller's `X-Consistency-Token`, else the primary (app.db.replica).
The session is closed after the response; it never commits here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.replica import CONSISTENCY_HEADER, READ_FROM_HEADER
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


async def get_replica_database(
    request: Request, response: Response, db: Annotated[Database, Depends(get_database)]
) -> Database:
    """The database this read may use: the replica or the primary (`Replica.route`); says which in
    `X-Read-From` when a replica is configured."""
    if db.replica is None:
        return db
    chosen = await db.replica.route(request.headers.get(CONSISTENCY_HEADER))
    response.headers[READ_FROM_HEADER] = "primary" if chosen is db else "replica"
    return chosen


async def _replica_session(
    response: Response,
    db: Annotated[Database, Depends(get_database)],
    chosen: Annotated[Database, Depends(get_replica_database)],
) -> AsyncIterator[AsyncSession]:
    if chosen is not db and db.replica is not None:
        async with chosen.query_session() as session:
            try:
                await session.connection()
            except Exception as exc:  # the replica went away since its last check: answer from the primary
                db.replica.mark_down(exc)
            else:
                yield session
                return
        response.headers[READ_FROM_HEADER] = "primary"
    async with db.query_session() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(_read_session)]
ReplicaSession = Annotated[AsyncSession, Depends(_replica_session)]
ReplicaDatabase = Annotated[Database, Depends(get_replica_database)]
WriteSession = Annotated[AsyncSession, Depends(_write_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]
