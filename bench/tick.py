"""The deadline tick over the bench data set: its time and the statements it issues (issue 16).

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1/it_bench --hazards 1000000 --reset
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/it_bench python -m bench.tick

Runs `app.deadlines.service.tick` (the same call as `inspection-tracker tick --on`) in sequence:
1. as of 2025-10-09 on data that no tick has seen: every notice and ladder rung due by then is raised (the
   heaviest tick a bureau ever runs: its first one after loading years of data);
2. the same date again: nothing new (the unique keys), the cost of a no-op tick;
3. as of 2025-10-10, the next working day: what a bureau's daily tick does (the day's new notices and rungs).
Each tick's wall time, the rows it raised, and the statements it sent to PostgreSQL — counted by a
`before_cursor_execute` listener on the engine, so the figure is what the database saw, not what the code
claims (TickResult.statements is printed beside it). Before the run the tick's rows of earlier runs are deleted
(escalations, notices and their events), so the script can be repeated; the hazards stay as generated.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import date
from typing import Any

from sqlalchemy import delete, event, func, select

from app.core.config import Settings
from app.db.outbox import Event
from app.db.session import Database
from app.deadlines.models import Escalation, FollowUp, Notice
from app.deadlines.service import TickResult, tick
from app.hazards.models import OPEN_STATUSES, Hazard
from bench.common import SECRET

TICKS = (date(2025, 10, 9), date(2025, 10, 9), date(2025, 10, 10))
TICK_EVENTS = (
    "hazard.due_soon",
    "hazard.overdue",
    "escalation.raised",
    "officer.certificate_expiring",
)


async def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/it_bench")
    settings = Settings(DATABASE_URL=url, SECRET_KEY=SECRET, LOG_LEVEL="WARNING", DB_STATEMENT_TIMEOUT_MS=900_000)
    db = Database(settings)
    statements = [0]
    timings: list[tuple[float, str]] = []
    started: list[float] = []

    def count(*_: Any) -> None:
        statements[0] += 1
        started.append(time.perf_counter())

    def timed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        timings.append((time.perf_counter() - started.pop(), " ".join(statement.split())[:110]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    event.listen(db.engine.sync_engine, "after_cursor_execute", timed)
    async with db.sessionmaker() as s:
        for model in (Escalation, Notice, FollowUp):
            await s.execute(delete(model))
        await s.execute(delete(Event).where(Event.type.in_(TICK_EVENTS)))
        await s.commit()
        hazards = int(await s.scalar(select(func.count()).select_from(Hazard)) or 0)
        open_ = int(await s.scalar(select(func.count()).where(Hazard.status.in_(OPEN_STATUSES))) or 0)
    print(f"data: {hazards:,} hazards, {open_:,} open or rectifying")
    slowest: list[tuple[date, list[tuple[float, str]]]] = []
    print("| tick as of | wall s | statements seen | TickResult.statements | raised |")
    print("|---|---|---|---|---|")
    for on in TICKS:
        statements[0] = 0
        timings.clear()
        start = time.perf_counter()
        async with db.write_session() as session:
            result = await tick(session, settings, on)
        elapsed = time.perf_counter() - start
        print(f"| {on} | {elapsed:.2f} | {statements[0]} | {result.statements} | {_raised(result)} |")
        slowest.append((on, sorted(timings, reverse=True)[:3]))
    for on, top in slowest:
        print(f"slowest statements of the tick as of {on}:")
        for seconds, sql in top:
            print(f"  {seconds:7.2f} s  {sql}")
    await db.dispose()


def _raised(result: TickResult) -> str:
    rungs = ", ".join(f"{level} {n:,}" for level, n in sorted(result.escalations.items()))
    return (
        f"due_soon {result.due_soon:,}, overdue {result.overdue:,}, {rungs or 'no rungs'}, "
        f"certificates {result.certificates_expiring:,}"
    )


if __name__ == "__main__":
    asyncio.run(main())
