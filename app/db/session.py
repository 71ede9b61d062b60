"""Engine and sessions for both engines.

Rules:
- SQLite: WAL, `synchronous=NORMAL`, foreign keys on, a busy timeout, and writes serialized inside the
  process (one writer at a time) — several pooled connections waiting on SQLite's write lock made p99 ~1 s.
- PostgreSQL: pool size + overflow bound a worker's concurrency; a pooled connection the server closed is
  replaced on checkout, and connections are recycled; a statement timeout so one heavy report cannot hold the box;
  a session left idle in a transaction is ended by the server after DB_IDLE_IN_TRANSACTION_TIMEOUT_MS (a
  backstop: nothing here leaves one open on purpose); connections are named `inspection-tracker` in
  pg_stat_activity.
- PostgreSQL: every connection runs with `plan_cache_mode = force_custom_plan` (DB_PLAN_CACHE_MODE), so a
  prepared statement is planned for its values on every execution. asyncpg prepares every statement; under
  `auto` PostgreSQL switches a statement to a generic plan after five executions on a connection, and the
  generic plan of a region-scoped read knows neither the region nor the dates: the county hazard list went from
  28 ms to 190 ms at the sixth call on one connection, walking the national index. Set per connection
  (asyncpg `server_settings`: no round trip) for reads and writes alike, because the trap is in any statement
  whose plan depends on its values — lists, detail views, exports, the event feed, and the rules' reads inside a
  write — and what it costs a write is re-planning its primary-key lookups and INSERTs each time, which is
  within the noise of the write limit (bench/README.md, "What it took", point 8). Applying it to reads only
  would take a `SET` round trip per checkout or a second pool. Report statements render their values as
  literals besides (app.reports.queries), which plans them once per distinct report. A statement without
  parameters has one plan whatever the mode.
- Both: a request waits at most DB_POOL_TIMEOUT_SECONDS for a pooled connection, then answers 503 with
  `Retry-After` (app.core.handlers), rather than queueing behind an exhausted pool.
- PostgreSQL reads (`query_session`) run outside a transaction; writes and streamed exports inside one.
- Sessions never expire on commit (the models declare their relationships `lazy="raise"`: load explicitly).
- Transactions: a write use case runs in one transaction and commits exactly once, in its service function;
  nothing commits here, helpers (app.db.replay) flush or use SAVEPOINTs (`session.begin_nested()`).
- SQLite write sessions: pysqlite's own transaction handling is switched off (`isolation_level = None`) and
  the transaction begins with an explicit `BEGIN IMMEDIATE` (SQLAlchemy docs, "pysqlite — Serializable
  isolation / Savepoints / Transactional DDL"), so SAVEPOINTs work, and SQLite's write lock is taken up front
  (one writer), so a write never fails upgrading a read snapshot. Other SQLite sessions (reads, migrations,
  tools) keep pysqlite's handling: statements outside a transaction until the first INSERT/UPDATE/DELETE.
- `DATABASE_REPLICA_URL`: a second `Database` on the replica, reached only through `Replica.route`
  (app.db.replica: what reads there, health, read-your-writes).
- Text holding NUL never reaches the driver (422 instead of PostgreSQL's error, and the same on SQLite).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.core.errors import FieldError, ValidationFailed
from app.core.schemas import holds_nul
from app.db.replica import Replica

APPLICATION_NAME = "inspection-tracker"
SQLITE_BEGIN = "sqlite_begin"
"""Execution option: the statement a SQLite transaction begins with; unset, pysqlite begins it lazily."""


def _sqlite_path(url: str) -> Path | None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            pool_timeout=settings.DB_POOL_TIMEOUT_SECONDS,
            connect_args={"timeout": settings.SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        busy_ms = settings.SQLITE_BUSY_TIMEOUT_MS

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.close()

        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(
        url,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_recycle=settings.DB_POOL_RECYCLE_SECONDS,
        pool_timeout=settings.DB_POOL_TIMEOUT_SECONDS,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS),
                "idle_in_transaction_session_timeout": str(settings.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS),
                "application_name": APPLICATION_NAME,
                "timezone": "UTC",
                "plan_cache_mode": settings.DB_PLAN_CACHE_MODE,
            }
        },
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _sqlite_begin(conn: Any) -> None:
    """The pysqlite SAVEPOINT workaround, per transaction (pooled connections serve both kinds of session).
    Switching `isolation_level` is safe here: no transaction is open when one begins."""
    begin = conn.get_execution_options().get(SQLITE_BEGIN)
    dbapi_conn = conn.connection.dbapi_connection
    if begin is None:
        if dbapi_conn.isolation_level is None:
            dbapi_conn.isolation_level = ""  # pysqlite's default: a deferred BEGIN before the first write
        return
    if dbapi_conn.isolation_level is not None:
        dbapi_conn.isolation_level = None
    conn.exec_driver_sql(begin)


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling without a round trip: a pooled connection whose socket the server closed
    (PostgreSQL restarted, backend terminated) is replaced before use, so the request does not fail.

    Why not `pool_pre_ping`: on asyncpg it costs three round trips (BEGIN, ping, ROLLBACK) per checkout, two
    checkouts a request; asyncpg notices a closed socket on its own (bench/README.md)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("pooled connection was closed by the server")


def _refuse_nul(_conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool) -> None:
    """PostgreSQL can neither store nor compare text holding NUL (U+0000) and fails with a driver error (a 500);
    SQLite would store it. Refused on both engines alike, as the client's mistake, before it reaches the driver:
    request bodies are checked field by field already, this catches the rest (query filters, form fields)."""
    if holds_nul(parameters):
        raise ValidationFailed(
            "text holding the NUL character (U+0000) can be neither stored nor searched for",
            errors=[FieldError(loc=["request"], msg="contains the NUL character (U+0000)", type="string_nul")],
        )


class Database:
    """One engine, its session factory, and (on SQLite) the in-process writer lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        event.listen(self.engine.sync_engine, "before_cursor_execute", _refuse_nul)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # PostgreSQL: reads outside a transaction. Under READ COMMITTED every statement takes its own snapshot
        # anyway, so an explicit transaction buys a read nothing and costs BEGIN and ROLLBACK round trips.
        query_bind = self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.query_sessionmaker = async_sessionmaker(query_bind, expire_on_commit=False, autoflush=False)
        write_bind = (
            self.engine.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"}) if self.is_sqlite else self.engine
        )
        self.write_sessionmaker = async_sessionmaker(write_bind, expire_on_commit=False, autoflush=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.replica: Replica | None = None
        if settings.replica_url is not None and not self.is_sqlite:
            self.replica = Replica(settings, self, Database(replica_settings(settings)))

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that only reads (needed by server-side cursors: exports)."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def query_session(self) -> AsyncIterator[AsyncSession]:
        """A session for statements that only read, each on its own (autocommit on PostgreSQL): what a read
        route and the credential lookup use. Never write, lock rows or stream through it."""
        async with self.query_sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session for a use case that writes; on SQLite it holds the process's writer lock."""
        if self._write_lock is None:
            async with self.write_sessionmaker() as session:
                yield session
            return
        async with self._write_lock, self.write_sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.dispose()
        await self.engine.dispose()


def replica_settings(settings: Settings) -> Settings:
    """The settings of the replica's own `Database`: the primary's, on the replica's URL, without a replica."""
    values = settings.model_dump(exclude={"DATABASE_URL", "DATABASE_REPLICA_URL"})
    return Settings(**values, DATABASE_URL=settings.DATABASE_REPLICA_URL, DATABASE_REPLICA_URL=None, _env_file=None)
