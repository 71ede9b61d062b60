"""The read replica (`DATABASE_REPLICA_URL`): which reads it serves, its health, and read-your-writes.

Rules:
- Reports, lists and exports read through `Replica.route` (app.db.deps `ReplicaSession` / `ReplicaDatabase`);
  everything else, every write and the credential lookup, goes to the primary.
- Read your writes: after every successful write request the response carries `X-Consistency-Token`, the
  primary's WAL insert position (`pg_current_wal_insert_lsn()`) taken after the commit: past the commit record
  even with `synchronous_commit = off`, where the write position may not have reached it yet. A client echoes
  it on its reads; a read carrying one goes to the replica only if the replica has replayed that far
  (`pg_last_wal_replay_lsn()` >= token), else to the primary. A malformed token reads from the primary.
- Health: each worker checks every `REPLICA_CHECK_SECONDS`: the primary's WAL position is sampled, the replica is
  asked how far it has replayed. Lag = how long ago the primary was at a position the replica has not replayed
  yet (0 when it has replayed everything the primary had at the last check), so an idle primary never looks
  lagging. Down (no answer within a second, or not in recovery) or lagging past `REPLICA_MAX_LAG_SECONDS`:
  reads go to the primary. One log line per change of state, none per request. Healthy again: used again.
- A replica session that fails to connect between two checks marks the replica down at once and the read is
  answered from the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from typing import TYPE_CHECKING

from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings

if TYPE_CHECKING:
    from app.db.session import Database

log = logging.getLogger("app.db.replica")

CONSISTENCY_HEADER = "X-Consistency-Token"
READ_FROM_HEADER = "X-Read-From"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CHECK_TIMEOUT_SECONDS = 1.0
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(value: str) -> int | None:
    """`16/B374D848` → its byte position; None when `value` is not an LSN."""
    found = _LSN.fullmatch(value.strip())
    return None if found is None else (int(found[1], 16) << 32) + int(found[2], 16)


class Replica:
    """The replica's own `Database` (reads only), its last known state, and the routing decision."""

    def __init__(self, settings: Settings, primary: Database, database: Database) -> None:
        self.settings = settings
        self.primary = primary
        self.database = database
        self.max_lag = settings.REPLICA_MAX_LAG_SECONDS
        self.interval = settings.REPLICA_CHECK_SECONDS
        self.healthy = False
        self.state = "not checked yet"
        self.lag = 0.0
        self.replayed = -1
        self._samples: deque[tuple[float, int]] = deque(maxlen=100_000)
        self._task: asyncio.Task[None] | None = None
        self._checked = asyncio.Event()

    # --- health -----------------------------------------------------------------------------------------------

    def _set(self, healthy: bool, state: str) -> None:
        if healthy != self.healthy or (not healthy and state.split(":")[0] != self.state.split(":")[0]):
            if healthy:
                log.warning("read replica healthy: reports, lists and exports read from it again")
            else:
                log.warning("read replica not used (%s): reads go to the primary", state)
        self.healthy, self.state = healthy, state

    async def check(self) -> None:
        """One health check (the monitor calls it every `REPLICA_CHECK_SECONDS`)."""
        now = time.monotonic()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                async with self.primary.engine.connect() as conn:
                    position = await conn.scalar(text("SELECT pg_current_wal_lsn()::text"))
                async with self.database.engine.connect() as conn:
                    row = (await conn.execute(text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"))).one()
        except Exception as exc:  # a check must never raise: the replica is down, whatever the reason
            self._set(False, f"unreachable: {type(exc).__name__}")
            return
        finally:
            self._checked.set()
        in_recovery, replayed = row
        if not in_recovery or replayed is None:
            self._set(False, "unreachable: not a standby")
            return
        self.replayed = parse_lsn(replayed) or 0
        position_at = parse_lsn(str(position)) or 0
        if not self._samples or position_at > self._samples[-1][1]:
            self._samples.append((now, position_at))
        while self._samples and self._samples[0][1] <= self.replayed:
            self._samples.popleft()  # replayed: what is left starts at the oldest position not replayed yet
        self.lag = now - self._samples[0][0] if self._samples else 0.0
        if self.lag > self.max_lag:
            self._set(False, f"lagging: {self.lag:.0f} s behind")
        else:
            self._set(True, "ok")

    async def _monitor(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    async def started(self) -> None:
        """Start the monitor in this event loop on first use, and wait for its first check."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._monitor(), name="replica-monitor")
        if not self._checked.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS * 2):
                    await self._checked.wait()

    def mark_down(self, exc: BaseException) -> None:
        """A read could not reach the replica between two checks."""
        self._set(False, f"unreachable: {type(exc).__name__}")

    # --- routing ----------------------------------------------------------------------------------------------

    async def route(self, token: str | None) -> Database:
        """The database a report, list or export reads from (see the module rules)."""
        await self.started()
        if not self.healthy:
            return self.primary
        if token is None:
            return self.database
        wanted = parse_lsn(token)
        if wanted is None:
            return self.primary
        if self.replayed >= wanted:
            return self.database
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                async with self.database.engine.connect() as conn:
                    replayed = await conn.scalar(text("SELECT pg_last_wal_replay_lsn()::text"))
        except Exception as exc:
            self.mark_down(exc)
            return self.primary
        self.replayed = max(self.replayed, parse_lsn(str(replayed)) or 0)
        return self.database if self.replayed >= wanted else self.primary

    async def dispose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.database.dispose()


class ConsistencyTokenMiddleware:
    """Adds `X-Consistency-Token` (the primary's WAL position after the commit) to successful writes."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                with contextlib.suppress(Exception):  # no token is better than a failed write answer
                    async with self.db.engine.connect() as conn:
                        position = await conn.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
                    MutableHeaders(scope=message)[CONSISTENCY_HEADER] = str(position)
            await send(message)

        await self.app(scope, receive, send_with_token)
