"""Test fixtures: a migrated database per backend per run, an HTTP client, and authenticated actors.

Every database test runs on SQLite, and again on PostgreSQL when `TEST_DATABASE_URL` is set
(the `backend` fixture is parametrized; pytest groups the tests by backend). The PostgreSQL database
named there is wiped (schema `public` dropped and recreated): point it at a throwaway database.
Rows never leak between tests: every table is emptied after each test that used the database, in one script
(`empty_every_table`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.auth.models import Role, User
from app.core.config import Settings, normalize_database_url
from app.core.security import create_access_token, hash_password
from app.db.migrate import upgrade_to_head
from app.db.session import Database
from app.main import create_app
from app.models import Base
from tests import statuses

TEST_SECRET = "test-secret-key-not-for-production"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]

OWN_REGION = "500240"  # 石柱土家族自治县
OTHER_REGION = "500101"  # 万州区
TEST_PASSWORD = "correct horse battery"


async def reset_postgres(url: str) -> None:
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
        url = TEST_DATABASE_URL
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


@pytest.fixture
async def clean_db(db: Database) -> AsyncIterator[Database]:
    """The migrated database; every row written during the test is deleted afterwards."""
    yield db
    await empty_every_table(db)


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test saw an operation answer a status its OpenAPI entry does not document."""
    missing = statuses.undocumented()
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
        async with clean_db.sessionmaker() as s:
            s.add(user)
            await s.commit()
        token = create_access_token(user.id, TEST_SECRET, timedelta(minutes=30))
        return Actor(user.id, user.username, Role(role), region_code, {"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
async def admin(make_actor: ActorFactory) -> Actor:
    """A national admin (region scope '')."""
    return await make_actor(Role.admin, "")
