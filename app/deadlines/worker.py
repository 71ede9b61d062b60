"""The deadline tick in `serve`: once at start-up, then every TICK_INTERVAL_SECONDS, until the app stops.

Rules: a failed tick (database hiccup, the calendar not covering today) is logged and tried again at the next
interval; it never ends the loop. Several workers and hosts may all tick: ticks are idempotent and serialized
on PostgreSQL (app.deadlines.service).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.core.config import Settings
from app.db.session import Database
from app.deadlines.service import tick

log = logging.getLogger("app.deadlines")


class TickWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def run_once(self) -> None:
        async with self.db.write_session() as session:
            result = await tick(session, self.settings)
        log.info(
            "deadline tick as of %s: %d due soon, %d overdue, escalations %s, %d certificates expiring",
            result.on,
            result.due_soon,
            result.overdue,
            result.escalations or "none",
            result.certificates_expiring,
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the next interval tries again
                log.exception("deadline tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.TICK_INTERVAL_SECONDS)
