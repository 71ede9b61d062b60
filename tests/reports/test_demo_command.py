"""`make demo` / `seed-demo`: the demo lives in its own data directory and prints the 2023 paragraph exactly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import SQLITE_FILE_NAME
from tests.reports.test_annual import REPORT_2023

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DATA_DIR"}}
    return {**env, **extra}


def test_seed_demo_into_a_fresh_directory_prints_the_three_seed_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "data-demo"
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed-demo", "--admin-password", "demo-password-1"],
        cwd=tmp_path,  # no .env here
        env=_env(DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == "demo data in place: 35 institutions, 20 officers, 167 inspections, 173 hazards (all rectified and verified)"
    )
    assert lines[1] == "the 2023 annual paragraph (GET /api/v1/reports/annual?year=2023):"
    assert "\n".join(lines[2:5]) + "\n" == REPORT_2023
    assert lines[5].startswith("log in as 'demo-admin' with password 'demo-password-1'")
    assert (data_dir / SQLITE_FILE_NAME).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data-demo"], "nothing written outside DATA_DIR"


def _make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", *args],  # noqa: S607 (make from PATH, as a user runs it)
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_and_make_run_use_different_data_directories() -> None:
    demo = _make("-n", "demo")
    assert demo.returncode == 0, demo.stderr
    commands = [line for line in demo.stdout.splitlines() if "inspection-tracker" in line]
    assert len(commands) == 2, demo.stdout  # seed-demo, then serve
    for line in commands:
        assert "env -u DATABASE_URL DATA_DIR=data-demo " in line, line
    run = _make("-n", "run")
    assert run.returncode == 0, run.stderr
    assert "data-demo" not in run.stdout
    assert "DATA_DIR" not in run.stdout  # `make run` keeps the default ./data


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_refuses_when_dotenv_names_a_database(tmp_path: Path) -> None:
    """The demo must not be seeded into the database a `.env` points at (it may be the production one)."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "requirements.lock").write_text("", encoding="utf-8")
    stamp = tmp_path / ".venv" / ".installed-stamp"
    stamp.parent.mkdir()
    stamp.touch()  # newer than pyproject.toml and the lock: `venv` is up to date, nothing is installed
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://prod@db/prod\n", encoding="utf-8")
    done = _make("demo", cwd=tmp_path)
    assert done.returncode == 2
    assert ".env sets DATABASE_URL" in done.stdout
    assert "Error 2" in done.stderr  # the guard's own exit status: the seed command never started
    assert "DATA_DIR=" not in done.stdout
