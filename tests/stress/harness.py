"""Stress-test plumbing: a throwaway store (a PostgreSQL database, or the embedded SQLite in a temporary data
directory), the API as a real uvicorn process (that can be killed with SIGKILL and restarted on the same
store), and seeding over HTTP as an admin.

Mirrors `bench.common.server()`, but async and with a handle on the process, so a test can kill it
mid-load and start another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.core.config import SQLITE_FILE_NAME, Settings
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine
from bench.common import ROOT, free_port

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]
SECRET = "stress-secret-key-0123456789-abcdefghijklmnop"
ADMIN, ADMIN_PASSWORD = "stress-admin", "stress-password-1"
INSPECTOR_PASSWORD = "stress-inspector-1"
REGIONS = ("500240", "500101", "500102", "500103", "500104")  # 石柱, 万州, 涪陵, 渝中, 大渡口
START_TIMEOUT_S = 90


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """`url` as a plain postgresql:// DSN (asyncpg's form), optionally naming another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin_execute(base_url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(base_url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop_stale(base_url: str, prefix: str) -> None:
    """Drop the databases of earlier runs that died before their clean-up (their process is gone); one
    still in use (another host's run) refuses, and is left alone."""
    conn = await asyncpg.connect(asyncpg_dsn(base_url, "postgres"))
    try:
        names = [
            r["datname"]
            for r in await conn.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
        ]
        for name in names:
            pid = name.removeprefix(prefix).split("_", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(asyncpg.PostgresError):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


@asynccontextmanager
async def throwaway_database(base_url: str, suffix: str) -> AsyncIterator[str]:
    """Create `<db>_stress_<pid>_<suffix>` next to the database of `base_url`, migrate it to head, yield
    its URL, and drop it afterwards (whatever still holds a connection to it)."""
    prefix = f"{make_url(base_url).database}_stress_"
    await _drop_stale(base_url, prefix)
    name = f"{prefix}{os.getpid()}_{suffix}"
    await _admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _admin_execute(base_url, f'CREATE DATABASE "{name}"')
    url = asyncpg_dsn(base_url, name)
    try:
        engine = make_engine(Settings(DATABASE_URL=url, SECRET_KEY=SECRET, _env_file=None))
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await _admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Store:
    """Where a test server keeps its data: `database_url` on PostgreSQL; on SQLite `database_url` is None and
    the server runs on the embedded default (`DATA_DIR/inspection-tracker.sqlite3`), as a small bureau does."""

    backend: str
    database_url: str | None
    data_dir: Path

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / SQLITE_FILE_NAME


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def throwaway_store(backend: str, data_dir: Path, suffix: str) -> AsyncIterator[Store]:
    """A migrated, empty store for one test: a throwaway PostgreSQL database (dropped afterwards), or the
    embedded SQLite under `data_dir` (created if need be, e.g. in a pytest temporary directory)."""
    _make_dir(data_dir)
    if backend == "sqlite":
        engine = make_engine(Settings(DATA_DIR=data_dir, SECRET_KEY=SECRET, _env_file=None))
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()
        yield Store(backend, None, data_dir)
        return
    assert TEST_DATABASE_URL is not None, "PostgreSQL needs TEST_DATABASE_URL"
    async with throwaway_database(TEST_DATABASE_URL, suffix) as url:
        yield Store(backend, url, data_dir)


def _die_with_parent() -> None:
    """In the child: SIGKILL it when the test process dies (no orphan server if pytest is killed)."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _open_log(path: Path) -> IO[bytes]:
    return path.open("ab")


class Server:
    """One uvicorn worker (`python -m uvicorn app.main:create_app --factory`) on a free loopback port;
    `database_url` None: the embedded SQLite under `data_dir`."""

    def __init__(
        self,
        database_url: str | None,
        data_dir: Path,
        name: str,
        secret_key: str | None = SECRET,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.secret_key = secret_key  # None: the embedded default generates DATA_DIR/secret_key
        self.extra_env = env or {}
        self.data_dir = data_dir
        self.log_path = data_dir / f"{name}.log"
        self.base = ""
        self.proc: asyncio.subprocess.Process | None = None

    def env(self) -> dict[str, str]:
        env = {**os.environ, "LOG_LEVEL": "WARNING", "DATA_DIR": str(self.data_dir), **self.extra_env}
        env.pop("DATABASE_URL", None)
        env.pop("SECRET_KEY", None)
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        if self.secret_key is not None:
            env["SECRET_KEY"] = self.secret_key
        return env

    async def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        log = _open_log(self.log_path)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=log,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()  # the child holds its own copy
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self.proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2) as http:
            while loop.time() < deadline:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if (await http.get(f"{self.base}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server not ready after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def kill(self) -> None:
        """kill -9: no shutdown hook runs, open transactions die with their connections."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@asynccontextmanager
async def running_server(
    database_url: str | None,
    data_dir: Path,
    name: str,
    secret_key: str | None = SECRET,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Server]:
    """A started Server; `env` adds settings to its environment."""
    server = Server(database_url, data_dir, name, secret_key, env)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


@dataclass(frozen=True)
class Region:
    code: str
    institution_ids: list[str]
    officer_ids: list[str]
    inspector_officer_id: str
    inspector_headers: dict[str, str]


@dataclass(frozen=True)
class World:
    admin_headers: dict[str, str]
    regions: list[Region]


async def _create_admin(server: Server) -> None:
    """The documented bootstrap: `create-user --role admin --password-stdin`."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "create-user",
        ADMIN,
        "--role",
        "admin",
        "--password-stdin",
        cwd=ROOT,
        env=server.env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate(f"{ADMIN_PASSWORD}\n".encode())
    assert proc.returncode == 0, out.decode(errors="replace")


async def _login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _created(http: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    r = await http.post(path, json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def _seed_region(http: httpx.AsyncClient, admin: dict[str, str], code: str) -> Region:
    institutions = [
        await _created(
            http,
            "/api/v1/institutions",
            {"name": f"{label}-{code}-{n}", "kind": kind, "region_code": code, "township": "南宾街道"},
            admin,
        )
        for n, (label, kind) in enumerate(
            [("敬老院", "elderly_care"), ("养老院", "elderly_care"), ("殡仪馆", "funeral")]
        )
    ]
    officers = [
        await _created(
            http,
            "/api/v1/officers",
            {
                "name": f"执法员{code}-{n}",
                "unit": "社会福利中心",
                "region_code": code,
                "certificate_no": f"渝执法{code}{n:02d}{uuid.uuid4().hex[:6]}",
                "certificate_issued_on": "2020-01-01",
                "certificate_expires_on": "2035-12-31",
            },
            admin,
        )
        for n in range(4)
    ]
    username = f"stress-inspector-{code}"
    await _created(
        http,
        "/api/v1/users",
        {
            "username": username,
            "password": INSPECTOR_PASSWORD,
            "role": "inspector",
            "region_code": code,
            "officer_id": officers[0]["id"],
        },
        admin,
    )
    return Region(
        code,
        [i["id"] for i in institutions],
        [o["id"] for o in officers],
        officers[0]["id"],
        await _login(http, username, INSPECTOR_PASSWORD),
    )


async def seed(server: Server, regions: tuple[str, ...] = REGIONS) -> World:
    """An admin (CLI), then over HTTP per region: three institutions, four certified officers and an
    inspector linked to the first officer."""
    await _create_admin(server)
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        admin = await _login(http, ADMIN, ADMIN_PASSWORD)
        seeded = [await _seed_region(http, admin, code) for code in regions]
    return World(admin, seeded)
