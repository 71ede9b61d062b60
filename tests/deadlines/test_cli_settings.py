"""`inspection-tracker tick` refuses a future or malformed date; a ladder that does not parse refuses to start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli import cli
from app.core import clock
from app.core.config import Settings


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path), **extra}


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ((clock.today() + timedelta(days=1)).isoformat(), "is after today"),
        ("2025-13-01", "is not a date as YYYY-MM-DD"),
        ("yesterday", "is not a date as YYYY-MM-DD"),
    ],
)
def test_tick_refuses_a_future_or_malformed_date(tmp_path: Path, on: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["tick", "--on", on], env=_env(tmp_path))
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "inspection-tracker.sqlite3").exists()  # refused before touching a database


@pytest.mark.parametrize("name", ["ESCALATION_LADDER", "ESCALATION_LADDER_MAJOR"])
@pytest.mark.parametrize("value", ["reminder:x", "warning:1", "reminder:1,reminder:2", "reminder:0", "reminder"])
def test_a_ladder_that_does_not_parse_refuses_to_start(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value}, DATA_DIR=tmp_path, _env_file=None)  # type: ignore[arg-type]
    result = CliRunner().invoke(cli, ["tick"], env=_env(tmp_path, **{name: value}))
    assert result.exit_code == 2
    assert name in result.output


def test_ladders_parse_in_order() -> None:
    settings = Settings(ESCALATION_LADDER="reminder:2, interview:9", ESCALATION_LADDER_MAJOR="", _env_file=None)
    assert settings.ladders == {"general": [("reminder", 2), ("interview", 9)], "major": []}


def test_tick_runs_and_reports(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert CliRunner().invoke(cli, ["migrate"], env=env).exit_code == 0
    result = CliRunner().invoke(cli, ["tick", "--on", "2025-10-09"], env=env)
    assert result.exit_code == 0, result.output
    assert "tick as of 2025-10-09: 0 due soon, 0 overdue, escalations: none" in result.output
