"""`/healthz` (the process lives) and `/readyz` (database answers and its schema is at the latest migration).

With a read replica configured, `/readyz` also says how it is (`replica`: "ok", or "degraded: …" when it is
down or lagging and the primary serves its reads): a degraded replica does not make the service unready.

Both are public: load balancers and orchestrators call them without credentials.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.db.deps import DatabaseDep
from app.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])
log = logging.getLogger("app.health")


class Health(BaseModel):
    status: str
    database: str | None = None
    schema_revision: str | None = None
    expected_revision: str | None = None
    replica: str | None = None
    replica_lag_seconds: float | None = None


@router.get("/healthz", response_model=Health, summary="Liveness (public)")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness (public)",
    responses={503: {"model": Health, "description": "database down or schema not at head"}},
)
async def readyz(db: DatabaseDep) -> JSONResponse:
    expected = head_revision()
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(db.engine)
    except Exception as exc:  # readiness must answer, whatever the database does
        log.warning("readiness check failed: %s", type(exc).__name__)
        body = Health(status="unavailable", database="unreachable", expected_revision=expected)
        return JSONResponse(body.model_dump(), status_code=503)
    ready = current == expected
    body = Health(
        status="ok" if ready else "migrations pending",
        database="ok",
        schema_revision=current,
        expected_revision=expected,
    )
    if db.replica is not None:
        await db.replica.started()
        body.replica = "ok" if db.replica.healthy else f"degraded: {db.replica.state}"
        body.replica_lag_seconds = round(db.replica.lag, 1)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
