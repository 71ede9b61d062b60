"""`inspection-tracker backup` / `restore` on the embedded SQLite: the round trip, the refusals, and every
broken input ending in one clear line and exit status 1 (never a traceback).

The commands run through Typer's runner in this process (a Python exception escaping the command would be
`result.exception` instead of `SystemExit`), and once as a real process for what reaches the terminal.
The round trip while a server writes, and on PostgreSQL, is in tests/stress/test_backup_restore.py (slow).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import SQLITE_FILE_NAME
from app.db.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]
BLOB = b"%PDF-1.4 evidence of a blocked fire exit\n" + bytes(range(256))
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()
USER = "backup-admin"


def run(data_dir: Path, *args: str, stdin: str | None = None, **env: str | None) -> Result:
    environment: dict[str, str | None] = {"DATA_DIR": str(data_dir), "DATABASE_URL": None, "SECRET_KEY": None}
    return CliRunner().invoke(cli, list(args), input=stdin, env={**environment, **env})


def assert_refused(result: Result, *words: str) -> None:
    """Exit status 1, one message naming the problem, and no Python exception behind it."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr


def put_blob(data_dir: Path, data: bytes = BLOB) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    path = data_dir / "evidence" / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def users(data_dir: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(data_dir / SQLITE_FILE_NAME)) as conn:
        return [r[0] for r in conn.execute("SELECT username FROM users ORDER BY username")]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of an embedded database holding one admin, one evidence file and a generated secret_key."""
    source = tmp_path_factory.mktemp("source")
    made = run(source, "create-user", USER, "--role", "admin", "--password-stdin", stdin="backup-password-1\n")
    assert made.exit_code == 0, made.output
    put_blob(source)
    (source / "secret_key").write_text("k" * 64, encoding="ascii")
    path = tmp_path_factory.mktemp("archives") / "backup.tar.gz"
    done = run(source, "backup", str(path))
    assert done.exit_code == 0, done.output
    assert "1 evidence files" in done.stdout
    return path


def rewritten(archive: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of `archive` with members replaced (bytes) or left out (None)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as out:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name in change:
                replacement = change[member.name]
                if replacement is None:
                    continue
                data = replacement
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def manifest_of(archive: Path) -> dict[str, object]:
    with tarfile.open(archive) as tar:
        raw = tar.extractfile("manifest.json").read()  # type: ignore[union-attr]
    manifest: dict[str, object] = json.loads(raw)
    return manifest


def test_archive_holds_manifest_database_key_and_evidence(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names == ["manifest.json", "database.sqlite3", "secret_key", f"evidence/{BLOB_SHA[:2]}/{BLOB_SHA}"]
    manifest = manifest_of(archive)
    assert manifest["format"] == "inspection-tracker-backup" and manifest["format_version"] == 1
    assert manifest["backend"] == "sqlite" and manifest["alembic_revision"] == head_revision()
    assert manifest["evidence"] == {"files": 1, "bytes": len(BLOB)}
    assert str(manifest["created_at"]).endswith("Z")
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the signing key


def test_restore_into_a_fresh_data_dir(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    done = run(target, "restore", str(archive))
    assert done.exit_code == 0, done.output
    assert users(target) == [USER]
    assert (target / "evidence" / BLOB_SHA[:2] / BLOB_SHA).read_bytes() == BLOB
    assert (target / "secret_key").read_text(encoding="ascii") == "k" * 64
    with contextlib.closing(sqlite3.connect(target / SQLITE_FILE_NAME)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_restore_refuses_a_target_holding_data_unless_forced(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    assert run(target, "restore", str(archive)).exit_code == 0
    made = run(target, "create-user", "someone-else", "--password-stdin", stdin="another-password-1\n")
    assert made.exit_code == 0, made.output
    stray = put_blob(target, b"\x89PNG\r\n\x1a\n a photo taken after the backup")

    assert_refused(run(target, "restore", str(archive)), "not empty", "--force")
    assert users(target) == [USER, "someone-else"] and stray.exists()  # untouched

    forced = run(target, "restore", str(archive), "--force")
    assert forced.exit_code == 0, forced.output
    assert users(target) == [USER]
    assert not stray.exists()  # the evidence store is the backup's
    assert (target / "evidence" / BLOB_SHA[:2] / BLOB_SHA).read_bytes() == BLOB


def test_restore_of_a_missing_path(tmp_path: Path) -> None:
    assert_refused(run(tmp_path / "t", "restore", str(tmp_path / "nope.tar")), "no backup at")
    assert not (tmp_path / "t").exists()


def test_restore_of_a_directory(tmp_path: Path) -> None:
    assert_refused(run(tmp_path / "t", "restore", str(tmp_path)), "is not a file")


def test_restore_of_something_that_is_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar file" * 100)
    assert_refused(run(tmp_path / "t", "restore", str(junk)), "is not a backup archive")
    assert not (tmp_path / "t").exists()


def test_restore_of_a_truncated_archive(archive: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert_refused(run(tmp_path / "t", "restore", str(cut)), "corrupt or truncated")
    assert not (tmp_path / "t").exists()


def test_restore_of_an_altered_evidence_file(archive: Path, tmp_path: Path) -> None:
    bad = rewritten(archive, tmp_path / "bad.tar", {f"evidence/{BLOB_SHA[:2]}/{BLOB_SHA}": b"X" + BLOB[1:]})
    assert_refused(run(tmp_path / "t", "restore", str(bad)), "evidence file", "is corrupt")
    assert not (tmp_path / "t").exists()


def test_restore_of_an_altered_database(archive: Path, tmp_path: Path) -> None:
    with tarfile.open(archive) as tar:
        db = tar.extractfile("database.sqlite3").read()  # type: ignore[union-attr]
    bad = rewritten(archive, tmp_path / "bad.tar", {"database.sqlite3": db[:-1] + b"\x01"})
    assert_refused(run(tmp_path / "t", "restore", str(bad)), "database.sqlite3 is corrupt")


def test_restore_of_an_archive_without_manifest(archive: Path, tmp_path: Path) -> None:
    bad = rewritten(archive, tmp_path / "bad.tar", {"manifest.json": None})
    assert_refused(run(tmp_path / "t", "restore", str(bad)), "does not start with manifest.json")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"alembic_revision": "ffffffffffff"}, "unknown to this version"),
        ({"format_version": 99}, "newer than this version reads"),
        ({"format": "something-else"}, "not an inspection-tracker backup manifest"),
        ({"evidence": {"files": 5, "bytes": 1}}, "the archive holds 1 evidence files"),
    ],
)
def test_restore_checks_the_manifest(archive: Path, tmp_path: Path, change: dict[str, object], words: str) -> None:
    manifest = {**manifest_of(archive), **change}
    bad = rewritten(archive, tmp_path / "bad.tar", {"manifest.json": json.dumps(manifest).encode()})
    assert_refused(run(tmp_path / "t", "restore", str(bad)), words)


def test_restore_into_the_other_kind_of_database(archive: Path, tmp_path: Path) -> None:
    pg = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "SECRET_KEY": "s" * 40}
    assert_refused(run(tmp_path, "restore", str(archive), **pg), "of a sqlite database", "the target is postgresql")


def test_backup_refuses_to_overwrite_and_needs_a_directory(archive: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    assert run(source, "migrate").exit_code == 0
    assert_refused(run(source, "backup", str(archive)), "exists", "--force")
    assert_refused(run(source, "backup", str(tmp_path / "no" / "such" / "dir.tar")), "does not exist")
    assert run(source, "backup", str(tmp_path / "again.tar")).exit_code == 0
    assert run(source, "backup", str(tmp_path / "again.tar"), "--force").exit_code == 0


def test_backup_of_nothing(tmp_path: Path) -> None:
    assert_refused(run(tmp_path / "empty", "backup", str(tmp_path / "x.tar")), "no SQLite database")
    assert not (tmp_path / "x.tar").exists()


def test_postgresql_without_the_client_tools(tmp_path: Path) -> None:
    pg = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "SECRET_KEY": "s" * 40, "PATH": str(tmp_path)}
    assert_refused(run(tmp_path, "backup", str(tmp_path / "x.tar"), **pg), "pg_dump not found", "postgresql-client")
    (tmp_path / "x.tar").write_bytes(b"")
    assert_refused(run(tmp_path, "restore", str(tmp_path / "x.tar"), **pg), "pg_restore not found")


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00" * 10)
    env = {"DATA_DIR": str(tmp_path / "t"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "app.cli", "restore", str(junk)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"restore failed: {junk} is not a backup archive (not a readable tar file)"
    ]
