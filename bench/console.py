"""总览's server time for a county on the bench data set: `GET /console/?year=2025` as a supervisor of 500240.

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1/it_h17c_bench --hazards 1000000 --reset
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/it_h17c_bench python -m bench.console

In-process (httpx over ASGI, sequential requests, the session cookie a signed-in browser holds): the time from
the request entering the app to the last byte of the page, so no network and no browser; the page's work is
session check, summary (2 statements), 4 breakdowns, overdue hazards, expiring certificates and the plans. Medians
and p95 of `REQUESTS` requests after 3 unmeasured warm-up runs, per filter set.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import timedelta

import httpx
from sqlalchemy import delete, func, select

from app.auth.models import Role, User
from app.core.config import Settings
from app.core.security import create_access_token
from app.hazards.models import Hazard
from app.main import create_app
from app.web.console.sessions import SESSION_COOKIE
from bench.common import SECRET

REQUESTS = 30
COUNTY = "500240"
CASES = {
    "county, year 2025": "/console/?year=2025",
    "county, year 2025, elderly_care": "/console/?year=2025&kind=elderly_care",
}


async def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/it_h17c_bench")
    app = create_app(Settings(DATABASE_URL=url, SECRET_KEY=SECRET, LOG_LEVEL="WARNING"))
    db = app.state.db
    async with db.sessionmaker() as s:
        await s.execute(delete(User).where(User.username == "bench-console"))
        user = User(username="bench-console", password_hash="x", role=Role.supervisor, region_code=COUNTY)
        s.add(user)
        await s.commit()
        hazards = await s.scalar(select(func.count()).select_from(Hazard))
    token = create_access_token(user.id, SECRET, timedelta(hours=1))
    print(f"data: {hazards:,} hazards; user: supervisor of {COUNTY}")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b", cookies={SESSION_COOKIE: token}) as c:
        for name, path in CASES.items():
            times = []
            for i in range(REQUESTS + 3):
                start = time.perf_counter()
                r = await c.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                assert r.status_code == 200 and "data-metric" in r.text, (r.status_code, r.text[:300])
                if i >= 3:
                    times.append(elapsed)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{name}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
