"""The write path's cost with the outbox: `POST /inspections` with two hazards (3 events in one INSERT), with
events and with `record_many` replaced by a no-op, interleaved in one run; prints the ratio.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/it_h15a_bench python -m bench.outbox

In-process (httpx over ASGI, sequential requests): it measures the per-request cost, not throughput.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text

from app.auth.models import Role, User
from app.core.config import Settings
from app.core.security import create_access_token
from app.db.migrate import upgrade_to_head
from app.inspections import service as inspections
from app.main import create_app
from bench.common import SECRET

REQUESTS, ROUNDS = 200, 5


async def _noop(*_args: Any) -> list[Any]:
    return []


async def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/it_h15a_bench")
    app = create_app(Settings(DATABASE_URL=url, SECRET_KEY=SECRET, LOG_LEVEL="WARNING"))
    db = app.state.db
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade_to_head(db.engine)
    async with db.sessionmaker() as s:
        user = User(username="bench", password_hash="x", role=Role.admin, region_code="")
        s.add(user)
        await s.commit()
    h = {"Authorization": f"Bearer {create_access_token(user.id, SECRET, timedelta(hours=1))}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        inst = (
            await c.post(
                "/api/v1/institutions",
                json={"name": "敬老院", "kind": "elderly_care", "region_code": "500240"},
                headers=h,
            )
        ).json()["id"]
        officers = [
            (
                await c.post(
                    "/api/v1/officers",
                    json={
                        "name": f"o{i}",
                        "unit": "u",
                        "region_code": "500240",
                        "certificate_no": f"c{i}",
                        "certificate_issued_on": "2020-01-01",
                        "certificate_expires_on": "2030-12-31",
                    },
                    headers=h,
                )
            ).json()["id"]
            for i in range(2)
        ]
        body = {
            "institution_id": inst,
            "inspected_on": "2023-05-04",
            "type": "routine",
            "officer_ids": officers,
            "hazards": [
                {"category": "fire_safety", "severity": "general", "description": "a"},
                {"category": "food", "severity": "major", "description": "b"},
            ],
        }
        real = getattr(inspections, "record_many")  # noqa: B009
        times: dict[str, list[float]] = {"events": [], "no events": []}
        for _ in range(ROUNDS):
            for label in times:
                setattr(inspections, "record_many", real if label == "events" else _noop)  # noqa: B010
                start = time.perf_counter()
                for _ in range(REQUESTS):
                    assert (await c.post("/api/v1/inspections", json=body, headers=h)).status_code == 201
                times[label].append((time.perf_counter() - start) / REQUESTS * 1000)
        setattr(inspections, "record_many", real)  # noqa: B010
    with_events, without = statistics.median(times["events"]), statistics.median(times["no events"])
    print(f"POST /inspections (2 hazards), ms/request, median of {ROUNDS} rounds x {REQUESTS}:")
    print(f"  with events {with_events:.2f}  without {without:.2f}  ratio {with_events / without:.3f}")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
