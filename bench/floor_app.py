"""The floor of the stack for scenario 1 (bench/floor.py): a FastAPI app whose one route does nothing but read the
request's JSON body and send the statements a real `POST /inspections` sends (captured from the app, fresh ids per
request), then answer a small JSON body. No authentication, no validation, no rules.

    FLOOR_OPS=/path/ops.pickle uvicorn bench.floor_app:create --factory

Two routes, one per database layer: `/floor/asyncpg` (a bare asyncpg pool) and `/floor/sqlalchemy` (the app's
own engine settings through SQLAlchemy's AsyncConnection, `exec_driver_sql`). Not part of the service.
"""

from __future__ import annotations

import json
import os
import pickle
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bench.writes import Op, fresh, replay

POOL = 16


def _load() -> tuple[list[Op], set[uuid.UUID]]:
    ops, keep = pickle.loads(Path(os.environ["FLOOR_OPS"]).read_bytes())  # noqa: S301 — the bench's own file
    return ops, keep


async def _run(conn: AsyncConnection, op: Op, keep: set[uuid.UUID], ids: dict[uuid.UUID, uuid.UUID]) -> None:
    if op.many:
        await conn.exec_driver_sql(op.sql, [tuple(fresh(v, keep, ids) for v in row) for row in op.params])
    else:
        await conn.exec_driver_sql(op.sql, tuple(fresh(v, keep, ids) for v in op.params))


async def _replay_sqlalchemy(engine: AsyncEngine, ops: list[Op], keep: set[uuid.UUID]) -> None:
    """As the app sends them: what comes before the first BEGIN in autocommit (the credential lookup), the rest
    in one transaction (SQLAlchemy begins it with the first statement)."""
    ids: dict[uuid.UUID, uuid.UUID] = {}
    start = next((i for i, op in enumerate(ops) if op.kind == "begin"), len(ops))
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        for op in ops[:start]:
            await _run(conn, op, keep, ids)
    async with engine.connect() as conn:
        for op in ops[start:]:
            if op.kind == "commit":
                await conn.commit()
            elif op.kind == "rollback":
                await conn.rollback()
            elif op.kind == "sql":
                await _run(conn, op, keep, ids)


def create() -> FastAPI:
    ops, keep = _load()
    dsn = os.environ["DATABASE_URL"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL)
        state["engine"] = create_async_engine(
            dsn.replace("postgresql://", "postgresql+asyncpg://"), pool_size=POOL, max_overflow=0
        )
        yield
        await state["pool"].close()
        await state["engine"].dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/floor/asyncpg", status_code=201)
    async def floor_asyncpg(request: Request) -> JSONResponse:
        json.loads(await request.body())
        async with state["pool"].acquire() as conn:
            await replay(conn, ops, keep)
        return JSONResponse({"ok": True}, status_code=201)

    @app.post("/floor/sqlalchemy", status_code=201)
    async def floor_sqlalchemy(request: Request) -> JSONResponse:
        json.loads(await request.body())
        await _replay_sqlalchemy(state["engine"], ops, keep)
        return JSONResponse({"ok": True}, status_code=201)

    return app
