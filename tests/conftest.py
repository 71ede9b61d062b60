"""Test fixtures: a migrated database per backend per run, an HTTP client, and authenticated actors.

Every database test runs on SQLite, and again on PostgreSQL when `TEST_DATABASE_URL` is set
(the `backend` fixture is parametrized; pytest groups the tests by backend). The PostgreSQL database
named there is wiped (schema `public` dropped and recreated): point it at a throwaway database.

Workers: `make test` runs the suite in several processes (pytest-xdist, `-n`). Each worker migrates its own
SQLite file (under its own tmp_path) and, on PostgreSQL, its own database next to `TEST_DATABASE_URL`'s:
`<name>_gw0`, `<name>_gw1`, … (created when missing, wiped like the first). The statuses every worker saw are
checked against the OpenAPI document once, by the controller (tests/statuses.py).

Isolation: rows never leak between tests. By default a test runs inside one outer transaction on one
connection that is rolled back at the end: every session the app or the test opens from `Database` during the
test (`sessionmaker`, `query_session`, `write_session`, `read_session`) is bound to that connection with
`join_transaction_mode="create_savepoint"`, so a service's `commit()` releases a SAVEPOINT and its rollback
returns to one, and nothing is ever committed (`isolated`).
`@pytest.mark.real_commits` (and every `slow` test, which drives real servers, workers and browsers) opts a test
out: its sessions commit for real on pooled connections and every
table is emptied afterwards in one script (`empty_every_table`). A test needs it when more than one connection
or process must see its writes: concurrent requests or sessions (asyncio.gather, parallel draws, throttling,
ticks, workers), a subprocess or a served copy of the app (CLI commands, backup), checks on the pool itself,
or writes through `db.engine` rather than a session; and on PostgreSQL anything that reads the event feed
(it hands out only events behind every transaction still running, `pg_current_xact_id()`, and a test's own
outer transaction never ends before the test does). The login and public limits count on connections of their
own on PostgreSQL (`rate_windows`): that table is emptied after each test.

Passwords: argon2 at the production cost (~0.5 s a check here) runs only in tests marked
`@pytest.mark.production_argon2` (tests/core/test_password_hashing.py checks the parameters); every other
in-process test hashes and verifies with time_cost=1, 8 MiB, parallelism=1 (`cheap_argon2`). Subprocesses and
served copies of the app keep the production cost.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import delete, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker, create_async_engine

from app.auth.models import Role, User
from app.core import security
from app.core.config import Settings, normalize_database_url
from app.core.security import create_access_token, hash_password
from app.db.limits import PostgresWindowStore
from app.db.migrate import upgrade_to_head
from app.db.session import SQLITE_BEGIN, Database
from app.main import create_app
from app.models import Base
from tests import statuses

TEST_SECRET = "test-secret-key-not-for-production"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]

OWN_REGION = "500240"  # 石柱土家族自治县
OTHER_REGION = "500101"  # 万州区
TEST_PASSWORD = "correct horse battery"


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
CHEAP_DUMMY_HASH = CHEAP_HASHER.hash("not-a-real-password")


@pytest.fixture(autouse=True)
def cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at a fraction of the production cost, unless the test is marked `production_argon2`."""
    if request.node.get_closest_marker("production_argon2") is None:
        monkeypatch.setattr(security, "_hasher", CHEAP_HASHER)
        monkeypatch.setattr(security, "_DUMMY_HASH", CHEAP_DUMMY_HASH)


def worker_database_url(url: str) -> str:
    """This xdist worker's own PostgreSQL database: `<name>_gw0` next to `url`'s (`url` itself without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


async def create_postgres_database(url: str) -> None:
    """Create `url`'s database unless it exists (connected to the server's `postgres` database)."""
    target = make_url(normalize_database_url(url))
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await engine.dispose()


async def reset_postgres(url: str) -> None:
    if url != TEST_DATABASE_URL:
        await create_postgres_database(url)
    engine = create_async_engine(normalize_database_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'test.sqlite3'}"
    else:
        assert TEST_DATABASE_URL is not None
        url = worker_database_url(TEST_DATABASE_URL)
        await reset_postgres(url)
    # No background webhook worker: the webhook tests drive DeliveryWorker themselves, round by round.
    return Settings(
        DATABASE_URL=url,
        DATA_DIR=data_dir,
        SECRET_KEY=TEST_SECRET,
        WEBHOOK_WORKER_ENABLED=False,
        TICK_ENABLED=False,
        _env_file=None,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    await upgrade_to_head(application.state.db.engine)
    if not statuses.DOCUMENTS:
        statuses.DOCUMENTS.append(application.openapi())
    yield application
    await application.state.db.dispose()


@pytest.fixture(scope="session")
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


_EMPTY_SCRIPTS: dict[str, str] = {}


def _empty_script(db: Database) -> str:
    """`BEGIN; DELETE FROM <child>; ... DELETE FROM <parent>; COMMIT;` in the engine's dialect, built once:
    children before parents, so no foreign key is left dangling mid-script."""
    dialect = db.engine.dialect
    if dialect.name not in _EMPTY_SCRIPTS:
        deletes = [str(delete(t).compile(dialect=dialect)) for t in reversed(Base.metadata.sorted_tables)]
        _EMPTY_SCRIPTS[dialect.name] = ";".join(["BEGIN", *deletes, "COMMIT"])
    return _EMPTY_SCRIPTS[dialect.name]


async def empty_every_table(db: Database) -> None:
    """Delete every row of every table in one transaction and one round trip to the driver: the statements go
    as one script (aiosqlite `executescript`; asyncpg's simple-query protocol when called without arguments).

    Why not one `conn.execute(delete(table))` per table: 15 awaits through SQLAlchemy and the driver's thread
    (aiosqlite) or socket (asyncpg) per test, ~7 ms of CPU each time, most of it for tables already empty.
    Why not a rolled-back outer transaction per test: several tests run real concurrency (parallel draws,
    simultaneous duplicate creates, throttling) that needs separate connections and transactions; one script
    stays correct for every test, those included."""
    script = _empty_script(db)
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if db.is_sqlite:
            await driver.executescript(script)
        else:
            await driver.execute(script)


_BOUND: dict[int, AsyncConnection] = {}
"""The connection of each `Database` (by id) whose sessions an open `isolated` scope binds."""


@asynccontextmanager
async def isolated(db: Database) -> AsyncIterator[None]:
    """Bind every session `db` hands out to one connection inside an outer transaction, rolled back at the end;
    so too every session of a `Database` made during the test on the same URL (a second app with other
    settings, as several tests build). Inside a scope already open (records a module builds once and its
    tests share, tests/auth/test_matrix.py), a test gets a SAVEPOINT of that connection, rolled back after it.

    Sessions join with `create_savepoint`: their commit releases a SAVEPOINT, their rollback (or closing without
    a commit) returns to it, so a use case that fails halfway still leaves nothing behind, as in production.
    On SQLite the outer transaction is begun explicitly (pysqlite's own handling off, app.db.session), which
    SAVEPOINTs need."""
    shared = _BOUND.get(id(db))
    if shared is not None:
        inner = await shared.begin_nested()
        try:
            yield
        finally:
            if inner.is_active:
                await inner.rollback()
        return
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            await conn.execution_options(**{SQLITE_BEGIN: "BEGIN"})
        outer = await conn.begin()
        bound = async_sessionmaker(
            conn, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
        )

        def bind(database: Database) -> None:
            database.sessionmaker = database.query_sessionmaker = database.write_sessionmaker = bound

        made = Database.__init__

        def made_bound(self: Database, settings: Settings) -> None:
            made(self, settings)
            if settings.database_url == db.settings.database_url:
                bind(self)

        saved = (db.sessionmaker, db.query_sessionmaker, db.write_sessionmaker)
        bind(db)
        Database.__init__ = made_bound  # type: ignore[method-assign]
        _BOUND[id(db)] = conn
        try:
            yield
        finally:
            del _BOUND[id(db)]
            Database.__init__ = made  # type: ignore[method-assign]
            db.sessionmaker, db.query_sessionmaker, db.write_sessionmaker = saved
            if outer.is_active:
                await outer.rollback()


@pytest.fixture
async def clean_db(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Database]:
    """The migrated database, with nothing of the test left afterwards: rolled back (`isolated`), or, for a
    test marked `real_commits`, committed for real and every table emptied afterwards."""
    real = request.node.get_closest_marker("real_commits") or request.node.get_closest_marker("slow")
    if real is not None:  # a `slow` test drives real servers and workers: they must see its writes
        yield db
        await empty_every_table(db)
        return
    async with isolated(db):
        yield db
    if not db.is_sqlite:  # the login and public limits count in `rate_windows` on connections of their own
        await PostgresWindowStore(db.engine).reset()


@pytest.fixture
async def session(clean_db: Database) -> AsyncIterator[AsyncSession]:
    async with clean_db.sessionmaker() as s:
        yield s


@pytest.fixture
async def client(app: FastAPI, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    await app.state.login_throttle.reset()  # the app lives for the session; failed logins must not carry over
    transport = httpx.ASGITransport(app=statuses.StatusRecorder(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


_WORKER_MISSING: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist controller: collect what each worker found undocumented (sent in `workeroutput`)."""
    _WORKER_MISSING.extend(getattr(node, "workeroutput", {}).get("undocumented_statuses", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test saw an operation answer a status its OpenAPI entry does not document.
    Under xdist a worker hands its lines to the controller, which reports them once for the whole run."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["undocumented_statuses"] = statuses.undocumented()
        return
    missing = sorted({*statuses.undocumented(), *_WORKER_MISSING})
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_sep("=", "statuses the OpenAPI document does not list", red=True)
            for line in missing:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    username: str
    role: Role
    region_code: str
    headers: dict[str, str]


ActorFactory = Callable[..., Awaitable[Actor]]

_PASSWORD_HASH: list[str] = []


def _password_hash() -> str:
    if not _PASSWORD_HASH:  # argon2 is slow on purpose: hash the shared test password once
        _PASSWORD_HASH.append(hash_password(TEST_PASSWORD))
    return _PASSWORD_HASH[0]


@pytest.fixture
def make_actor(clean_db: Database) -> ActorFactory:
    """Insert a user with `role` and `region_code` and return it with a valid Bearer header."""
    return actor_factory(clean_db)


def actor_factory(db: Database) -> ActorFactory:
    """`make_actor` on `db`, for fixtures wider than one test."""

    async def make(
        role: Role | str = Role.admin,
        region_code: str = OWN_REGION,
        username: str | None = None,
        is_active: bool = True,
    ) -> Actor:
        user = User(
            username=username or f"u-{uuid.uuid4().hex[:10]}",
            password_hash=_password_hash(),
            role=Role(role),
            region_code=region_code,
            is_active=is_active,
        )
        async with db.sessionmaker() as s:
            s.add(user)
            await s.commit()
        token = create_access_token(user.id, TEST_SECRET, timedelta(minutes=30))
        return Actor(user.id, user.username, Role(role), region_code, {"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
async def admin(make_actor: ActorFactory) -> Actor:
    """A national admin (region scope '')."""
    return await make_actor(Role.admin, "")
