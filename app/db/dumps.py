"""One database copied out and in, for `app/db/backup.py`: SQLite through the online backup API, PostgreSQL
through `pg_dump` / `pg_restore` (the client tools, found on PATH) and two SQL helpers.

Rules:
- SQLite is copied in one backup step: one read snapshot, consistent while the server writes (WAL lets the
  writers go on); the copy is a single file (journal mode DELETE) and passes `PRAGMA integrity_check`.
- The PostgreSQL password goes to the tools in `PGPASSWORD`, never on a command line (`ps` shows those).
- A failure is a `BackupError` whose message is for the operator.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.db.session import make_engine


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def sqlite_file(settings: Settings) -> Path:
    name = make_url(settings.database_url).database
    if not name or name == ":memory:":
        raise BackupError("the database is in memory: there is nothing on disk to back up or restore")
    return Path(name)


# ---- PostgreSQL: pg_dump / pg_restore and two SQL helpers ----


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client) of the "
            "server's major version or newer"
        )
    return found


def pg_connection(settings: Settings) -> tuple[str, dict[str, str]]:
    """The libpq URL without its password (not on a command line, where `ps` shows it) and the environment
    carrying the password."""
    url = make_url(settings.database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def run_tool(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (no shell)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise BackupError(f"{Path(args[0]).name} failed: {detail}")


async def pg_tables(settings: Settings) -> tuple[str | None, dict[str, bool]]:
    """The Alembic revision (None when there is none) and every table of schema public → whether it holds a row."""
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            names = (
                await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
            ).scalars()
            tables = {
                name: bool((await conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM public."{name}")'))).scalar())  # noqa: S608
                for name in list(names)
            }
            revision = None
            if "alembic_version" in tables:
                revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            return revision, tables
    finally:
        await engine.dispose()


async def pg_drop(settings: Settings, tables: list[str]) -> None:
    """Drop the tables of schema public in one transaction (no ownership of the schema needed)."""
    if not tables:
        return
    engine = make_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(f'public."{t}"' for t in tables) + " CASCADE"))
    finally:
        await engine.dispose()


# ---- SQLite ----


def sqlite_snapshot(source: Path, target: Path) -> str:
    """Copy `source` into `target` with the online backup API; its integrity is checked; the revision."""
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}: nothing to back up")
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: the whole file in one step, i.e. one read snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return sqlite_checked(dst, str(source))
    finally:
        dst.close()
        src.close()


def sqlite_checked(conn: sqlite3.Connection, what: str) -> str:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} fails PRAGMA integrity_check: {'; '.join(problems[:5])}")
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not an inspection-tracker database (no alembic_version): {exc}") from exc
    if row is None:
        raise BackupError(f"{what} is not migrated (alembic_version is empty)")
    return str(row[0])


def sqlite_has_rows(path: Path) -> bool:
    if not path.exists():
        return False
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'alembic_version'"
            )
        ]
        # Table names come from sqlite_master, not from input.
        return any(conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{n}")').fetchone()[0] for n in names)  # noqa: S608
    finally:
        conn.close()
