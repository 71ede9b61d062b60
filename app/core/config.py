"""Settings, read from the environment and an optional `.env` file.

Rules:
- `DATABASE_URL` defaults to an SQLite file under `DATA_DIR`; plain `sqlite:///PATH` and
  `postgresql://USER@HOST:PORT/DB` are accepted and the async driver is picked here.
- `SECRET_KEY` is required unless the database is the embedded default, where one is generated once and
  kept in `DATA_DIR/secret_key` (so tokens survive a restart).
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_FILE_NAME = "inspection-tracker.sqlite3"


def normalize_database_url(url: str) -> str:
    """Map user-facing URLs onto the async drivers: sqlite → aiosqlite, postgresql → asyncpg."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"DATABASE_URL must look like 'scheme://…', got {url!r}")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite:// or postgresql://)")


class Settings(BaseSettings):
    """Process configuration. Field names are the environment variable names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    DATABASE_URL: str | None = Field(
        default=None, description="sqlite:///PATH or postgresql://USER@HOST:PORT/DB; default: SQLite under DATA_DIR"
    )
    DATA_DIR: Path = Field(default=Path("data"), description="SQLite file and evidence files")
    SECRET_KEY: str | None = Field(default=None, description="JWT signing key; required off the embedded DB")
    MAX_BODY_BYTES: int = Field(default=10 * 1024 * 1024, gt=0, description="request bodies above are 413")
    EVIDENCE_MAX_BYTES: int = Field(default=10 * 1024 * 1024, gt=0, description="largest evidence file (413)")
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=60, gt=0, le=7 * 24 * 60)
    LOG_LEVEL: str = "INFO"
    REPORT_UNIT_FUNERAL: str = Field(default="殡葬事务中心", description="unit inspecting funeral institutions")
    REPORT_UNIT_ELDERLY_CARE: str = Field(default="社会福利中心", description="unit inspecting elderly care")
    REPORT_AREA: str = Field(default="全县", description="the area word of the annual paragraph (全县, 全市 …)")
    DB_POOL_SIZE: int = Field(default=10, gt=0)
    DB_MAX_OVERFLOW: int = Field(default=10, ge=0)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=30_000, gt=0, description="PostgreSQL statement_timeout")
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=10_000, gt=0)

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.DATABASE_URL is not None:
            normalize_database_url(self.DATABASE_URL)  # fail fast on a bad scheme
        if self.SECRET_KEY is not None and len(self.SECRET_KEY) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters (HS256 wants a 256-bit key)")
        if self.SECRET_KEY is None and not self.uses_embedded_database:
            raise ValueError("SECRET_KEY is required when DATABASE_URL is set (only the embedded SQLite default "
                             "generates one)")
        return self

    @property
    def uses_embedded_database(self) -> bool:
        return self.DATABASE_URL is None

    @cached_property
    def database_url(self) -> str:
        """The SQLAlchemy async URL."""
        if self.DATABASE_URL is None:
            return f"sqlite+aiosqlite:///{(self.DATA_DIR / SQLITE_FILE_NAME).resolve()}"
        return normalize_database_url(self.DATABASE_URL)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def secret_key(self) -> str:
        """`SECRET_KEY`, or on the embedded default a key generated once under `DATA_DIR`."""
        if self.SECRET_KEY is not None:
            return self.SECRET_KEY
        path = self.DATA_DIR / "secret_key"
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        self.DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key, encoding="ascii")
        path.chmod(0o600)
        return key


def get_settings() -> Settings:
    """Read settings from the environment (called once per app / CLI command)."""
    return Settings()
