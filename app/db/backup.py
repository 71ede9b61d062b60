"""`inspection-tracker backup PATH` / `restore PATH`: the database and the evidence files in one tar archive.

The archive (`.tar`, or gzip-compressed when PATH ends in `.gz`/`.tgz`) holds, in this order:
- `manifest.json`: format and version, app version, created_at (UTC), backend, Alembic revision, the database
  member's size and SHA-256, the evidence file count and bytes;
- `database.sqlite3` (SQLite) or `database.pgdump` (PostgreSQL, `pg_dump --format=custom`);
- `secret_key`, when the embedded default generated one under `DATA_DIR` (it signs tokens and draws);
- `evidence/<2 hex>/<sha256>`: every stored evidence file (the layout of `app/hazards/evidence.py`).

Rules:
- SQLite is copied with the online backup API in one step: a read snapshot, consistent while the server
  writes (WAL lets writers go on). PostgreSQL is dumped by `pg_dump`, which reads one snapshot too.
- The database is captured before the evidence files are listed, and a file is stored before the row that
  names it is committed, so every evidence row in the backup has its file.
- PATH is written to a temporary name next to it and renamed when complete (mode 0600: it may hold the key);
  an existing PATH is refused unless `force`.
- Restore checks before it touches the target: the manifest (format, backend, a revision this version knows),
  the database checksum, every evidence file against its name (its SHA-256), SQLite `integrity_check`; a
  target holding any row or evidence file is refused unless `force`. Then it replaces the database and the
  evidence store. The server must be stopped while restoring; `serve` migrates an older revision on start.
- Every failure is a `BackupError` with a message for the operator (the CLI prints it, exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.db import dumps
from app.db.dumps import BackupError as BackupError  # the error the CLI catches, raised here and in dumps
from app.db.migrate import alembic_config

FORMAT = "inspection-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
EVIDENCE_DIR = "evidence"  # under DATA_DIR; blobs at evidence/<sha[:2]>/<sha> (app/hazards/evidence.py)
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_EVIDENCE_MEMBER = re.compile(r"evidence/([0-9a-f]{2})/([0-9a-f]{64})")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    backend: str
    revision: str
    evidence_files: int
    evidence_bytes: int
    database_bytes: int


def _backend(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def _app_version() -> str:
    try:
        return version("inspection-tracker")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that is not installed
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---- evidence files ----


def _evidence_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of every stored evidence file; in-flight uploads (`evidence/tmp`) are not ones."""
    root = data_dir / EVIDENCE_DIR
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/*")):
        name = f"{EVIDENCE_DIR}/{path.parent.name}/{path.name}"
        if path.is_file() and _EVIDENCE_MEMBER.fullmatch(name):
            yield name, path


# ---- backup ----


def create_backup(settings: Settings, path: Path, *, force: bool = False) -> Outcome:
    """Write the archive at `path` (see the module rules)."""
    try:
        return _create_backup(settings, path, force)
    except (OSError, sqlite3.Error, SQLAlchemyError, tarfile.TarError) as exc:
        raise BackupError(str(exc)) from exc


def _create_backup(settings: Settings, path: Path, force: bool) -> Outcome:
    backend = _backend(settings)
    if path.exists() and (path.is_dir() or not force):
        raise BackupError(f"{path} exists: choose a new file name (or --force to overwrite a file)")
    if not path.parent.is_dir():
        raise BackupError(f"directory {path.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=path.parent) as work_dir:
        work = Path(work_dir)
        db_file = work / DB_MEMBER[backend]
        if backend == "sqlite":
            revision = dumps.sqlite_snapshot(dumps.sqlite_file(settings), db_file)
        else:
            pg_dump = dumps.pg_tool("pg_dump")
            dsn, env = dumps.pg_connection(settings)
            found, _ = asyncio.run(dumps.pg_tables(settings))
            if found is None:
                raise BackupError("the database is not migrated (no alembic_version): nothing to back up")
            revision = found
            dumps.run_tool([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={db_file}", dsn], env)
        evidence = list(_evidence_files(settings.DATA_DIR))  # after the database: every row has its file
        sizes = [p.stat().st_size for _, p in evidence]
        db_size = db_file.stat().st_size
        key = settings.DATA_DIR / SECRET_KEY_FILE
        has_key = settings.uses_embedded_database and key.is_file()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": _app_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "backend": backend,
            "alembic_revision": revision,
            "database": {"name": db_file.name, "size": db_size, "sha256": _sha256(db_file)},
            "evidence": {"files": len(evidence), "bytes": sum(sizes)},
            "secret_key": has_key,
        }
        manifest_file = work / MANIFEST
        manifest_file.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        partial = work / "archive.partial"
        partial.touch(mode=0o600)
        mode = "w:gz" if path.name.endswith((".gz", ".tgz")) else "w"
        with tarfile.open(partial, mode) as tar:  # type: ignore[call-overload]
            tar.add(manifest_file, arcname=MANIFEST)
            tar.add(db_file, arcname=db_file.name)
            if has_key:
                tar.add(key, arcname=SECRET_KEY_FILE)
            for name, file in evidence:
                tar.add(file, arcname=name)
        os.replace(partial, path)
    return Outcome(backend, revision, len(evidence), sum(sizes), db_size)


# ---- restore ----


def _copy_checked(stream: IO[bytes], target: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _check_manifest(raw: bytes, backend: str) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(raw)
        ok = isinstance(manifest, dict) and manifest.get("format") == FORMAT
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise BackupError("manifest.json is not an inspection-tracker backup manifest")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')!r} is newer than this version reads "
            f"({FORMAT_VERSION}): upgrade inspection-tracker first"
        )
    if manifest.get("backend") != backend:
        raise BackupError(
            f"this backup is of a {manifest.get('backend')} database and the target is {backend}: restore into "
            "the same kind of database (set DATABASE_URL accordingly)"
        )
    revision = manifest.get("alembic_revision")
    try:
        known = isinstance(revision, str) and ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"the backup's schema revision {revision!r} is unknown to this version: it was made by a newer "
            "inspection-tracker; upgrade first"
        )
    database, evidence = manifest.get("database"), manifest.get("evidence")
    if not isinstance(database, dict) or database.get("name") != DB_MEMBER[backend]:
        raise BackupError("manifest.json does not describe the database member")
    if not isinstance(evidence, dict) or not all(isinstance(evidence.get(k), int) for k in ("files", "bytes")):
        raise BackupError("manifest.json does not describe the evidence files")
    return manifest


def _extract(path: Path, backend: str, work: Path) -> dict[str, Any]:
    """Read the archive into `work`, checking every member; the manifest."""
    manifest: dict[str, Any] | None = None
    evidence = database_seen = 0
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 (closed by the `with` below; opening is what may fail)
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is not a backup archive (not a readable tar file)") from exc
    with tar:
        for member in tar:
            if manifest is None:
                stream = tar.extractfile(member) if member.name == MANIFEST and member.isfile() else None
                if stream is None:
                    raise BackupError(f"{path} is not a backup archive (it does not start with {MANIFEST})")
                manifest = _check_manifest(stream.read(), backend)
                continue
            name, stream = member.name, tar.extractfile(member)
            match = _EVIDENCE_MEMBER.fullmatch(name)
            if stream is None or not (match or name in (manifest["database"]["name"], SECRET_KEY_FILE)):
                raise BackupError(f"unexpected member {name!r} in the archive")
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size = _copy_checked(stream, target)
            if match and (digest != match.group(2) or match.group(1) != digest[:2]):
                raise BackupError(f"evidence file {name} is corrupt (its SHA-256 is {digest})")
            if name == manifest["database"]["name"]:
                database_seen += 1
                if digest != manifest["database"].get("sha256") or size != manifest["database"].get("size"):
                    raise BackupError(f"{name} is corrupt: it does not match the checksum in the manifest")
            evidence += bool(match)
    if manifest is None:
        raise BackupError(f"{path} is an empty archive")
    if database_seen != 1:
        raise BackupError(f"the archive holds no {manifest['database']['name']}")
    if evidence != manifest["evidence"]["files"]:
        raise BackupError(f"the archive holds {evidence} evidence files, the manifest says {manifest['evidence']}")
    return manifest


def restore_backup(settings: Settings, path: Path, *, force: bool = False) -> Outcome:
    """Replace the target's database and evidence store by the archive at `path` (see the module rules).
    A `DATA_DIR` that did not exist before is removed again when the restore fails."""
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    if not path.is_file():
        raise BackupError(f"{path} is not a file: give the backup archive")
    created = not settings.DATA_DIR.exists()
    try:
        try:
            return _restore_backup(settings, path, force)
        except (OSError, EOFError, zlib.error, sqlite3.Error, SQLAlchemyError, tarfile.TarError) as exc:
            raise BackupError(str(exc)) from exc
    except BackupError:
        if created:
            shutil.rmtree(settings.DATA_DIR, ignore_errors=True)
        raise


def _restore_backup(settings: Settings, path: Path, force: bool) -> Outcome:
    backend = _backend(settings)
    data_dir = settings.DATA_DIR
    pg_restore = dumps.pg_tool("pg_restore") if backend == "postgresql" else ""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as work_dir:
        work = Path(work_dir)
        try:
            manifest = _extract(path, backend, work)
        except (EOFError, zlib.error, tarfile.TarError) as exc:
            raise BackupError(f"{path} is a corrupt or truncated archive: {exc}") from exc
        db_file = work / manifest["database"]["name"]
        if backend == "sqlite":
            target = dumps.sqlite_file(settings)
            with contextlib.closing(sqlite3.connect(db_file)) as conn:
                dumps.sqlite_checked(conn, "the backed-up database")
            occupied = dumps.sqlite_has_rows(target)
            tables: dict[str, bool] = {}
        else:
            _, tables = asyncio.run(dumps.pg_tables(settings))
            occupied = any(rows for name, rows in tables.items() if name != "alembic_version")
        if not force and (occupied or any(_evidence_files(data_dir))):
            raise BackupError(
                "the target is not empty (its database holds rows or DATA_DIR holds evidence files): restore into "
                "a fresh DATA_DIR / database, or add --force to replace what is there"
            )
        if backend == "sqlite":
            target.parent.mkdir(parents=True, exist_ok=True)
            with (
                contextlib.closing(sqlite3.connect(db_file)) as src,
                contextlib.closing(sqlite3.connect(target)) as dst,
            ):
                src.backup(dst)  # page by page into the target, its WAL and all
                dst.execute("PRAGMA journal_mode=WAL")
        else:
            asyncio.run(dumps.pg_drop(settings, list(tables)))
            dsn, env = dumps.pg_connection(settings)
            dumps.run_tool([pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                  f"--dbname={dsn}", str(db_file)], env)  # fmt: skip
        _replace_evidence(data_dir, work / EVIDENCE_DIR)
        if (work / SECRET_KEY_FILE).is_file():
            os.replace(work / SECRET_KEY_FILE, data_dir / SECRET_KEY_FILE)
            (data_dir / SECRET_KEY_FILE).chmod(0o600)
        evidence = manifest["evidence"]
        return Outcome(
            backend, manifest["alembic_revision"], evidence["files"], evidence["bytes"], manifest["database"]["size"]
        )


def _replace_evidence(data_dir: Path, restored: Path) -> None:
    """The evidence store becomes exactly the restored files (the old store is removed once they are in place)."""
    current = data_dir / EVIDENCE_DIR
    old = data_dir / f".{EVIDENCE_DIR}-replaced"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        os.replace(current, old)
    if restored.is_dir():
        os.replace(restored, current)
    else:
        current.mkdir()
    shutil.rmtree(old, ignore_errors=True)
