"""Settings, read from the environment and an optional `.env` file.

Rules:
- `DATABASE_URL` defaults to an SQLite file under `DATA_DIR`; plain `sqlite:///PATH` and
  `postgresql://USER@HOST:PORT/DB` are accepted and the async driver is picked here.
- `SECRET_KEY` is required unless the database is the embedded default, where one is generated once and
  kept in `DATA_DIR/secret_key` (so tokens survive a restart).
- `DRAW_SIGNING_KEYS` ("kid:secret,kid:secret"): the first key signs new draws, every listed key verifies;
  the key id `legacy` is `SECRET_KEY` (what draws were signed with before key ids) unless listed explicitly.
- A setting that does not parse (`WEBHOOK_RETRY_SCHEDULE=5,x`, `ESCALATION_LADDER=reminder:x`) refuses to start,
  naming the setting.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_FILE_NAME = "inspection-tracker.sqlite3"
_HOST_NAME = re.compile(r"(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?")


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


_ORIGIN = re.compile(r"https?://[^/\s?#]+")
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")
LEGACY_KEY_ID = "legacy"
"""Key id of the draws signed before key ids existed: their key is `SECRET_KEY`."""


@dataclass(frozen=True)
class KeyRing:
    """Named signing secrets: `current` signs, every key in `secrets` verifies."""

    current: str
    secrets: Mapping[str, str]

    def secret(self, key_id: str) -> str | None:
        """The secret of `key_id`; None when the key is not (or no longer) configured."""
        return self.secrets.get(key_id)


def parse_key_list(value: str, name: str) -> dict[str, str]:
    """ "kid1:secret1,kid2:secret2" → {kid1: secret1, kid2: secret2}, in order. A key id is 1–40 of
    `A–Z a–z 0–9 . _ -`; a secret (it may contain ':', not ',') has at least 32 characters; ids are unique."""
    keys: dict[str, str] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        key_id, sep, secret = part.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"{name}: {key_id!r} is not 'key_id:secret' with a key id of 1-40 [A-Za-z0-9._-]")
        if len(secret) < 32:
            raise ValueError(f"{name}: the secret of key {key_id!r} must be at least 32 characters")
        if key_id in keys:
            raise ValueError(f"{name}: key id {key_id!r} is listed twice")
        keys[key_id] = secret
    return keys


def _split_origins(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_retry_schedule(value: str) -> list[float]:
    """`WEBHOOK_RETRY_SCHEDULE`: non-negative seconds, comma-separated; empty = no retry."""
    delays: list[float] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            delay = float(part)
        except ValueError:
            raise ValueError(f"WEBHOOK_RETRY_SCHEDULE: {part!r} is not a number of seconds") from None
        if not 0 <= delay <= 7 * 86400:
            raise ValueError(f"WEBHOOK_RETRY_SCHEDULE: {part!r} must be between 0 and 604800 seconds")
        delays.append(delay)
    return delays


def parse_allowed_hosts(value: str) -> tuple[frozenset[str], tuple[IPv4Network | IPv6Network, ...]]:
    """`WEBHOOK_ALLOWED_HOSTS`: host names (lower-cased) and IP networks (an address is a /32 or /128)."""
    names: set[str] = set()
    networks: list[IPv4Network | IPv6Network] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.fullmatch(part):
            raise ValueError(f"WEBHOOK_ALLOWED_HOSTS: {part!r} is neither a host name nor an IP address or network")
        names.add(part.lower().rstrip("."))
    return frozenset(names), tuple(networks)


LADDER_LEVELS = ("reminder", "supervision", "interview", "listed")
"""The escalation levels a ladder may name (app.hazards.models.EscalationLevel; core knows no domain)."""


def parse_ladder(value: str, name: str) -> list[tuple[str, int]]:
    """`ESCALATION_LADDER`: "level:working_days,…" → [(level, days)], e.g. "reminder:1,supervision:5". Levels
    are those of `LADDER_LEVELS`, each at most once; days are whole numbers 1-365; empty = no ladder."""
    rungs: list[tuple[str, int]] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        level, sep, days = (x.strip() for x in part.partition(":"))
        if not sep or level not in LADDER_LEVELS:
            raise ValueError(f"{name}: {part!r} is not 'level:working_days' with a level of {', '.join(LADDER_LEVELS)}")
        if not days.isdigit() or not 1 <= int(days) <= 365:
            raise ValueError(f"{name}: {part!r}: the working days must be a whole number from 1 to 365")
        if level in (r[0] for r in rungs):
            raise ValueError(f"{name}: level {level!r} is listed twice")
        rungs.append((level, int(days)))
    return rungs


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
    IMPORT_MAX_BYTES: int = Field(
        default=5 * 1024 * 1024, gt=0, description="largest register file (批量导入, XLSX or CSV) accepted (413)"
    )
    IMPORT_MAX_ROWS: int = Field(default=5000, gt=0, description="most data rows in one import file (422 above)")
    FIELD_RELEASE: str = Field(
        default="", max_length=100, description="deployment label folded into the field app's shell version"
    )
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=60, gt=0, le=7 * 24 * 60)
    LOG_LEVEL: str = "INFO"
    PUBLIC_RATE_LIMIT_PER_MINUTE: int = Field(default=60, gt=0, description="requests per client IP to /public")
    REPORT_UNIT_FUNERAL: str = Field(default="殡葬事务中心", description="unit inspecting funeral institutions")
    REPORT_UNIT_ELDERLY_CARE: str = Field(default="社会福利中心", description="unit inspecting elderly care")
    REPORT_AREA: str = Field(default="全县", description="the area word of the annual paragraph (全县, 全市 …)")
    REPORT_ISSUER: str = Field(
        default="石柱土家族自治县民政局", description="the issuing unit signed under the DOCX report (落款)"
    )
    DB_POOL_SIZE: int = Field(default=10, gt=0)
    DB_MAX_OVERFLOW: int = Field(default=10, ge=0)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=30_000, gt=0, description="PostgreSQL statement_timeout")
    DB_PLAN_CACHE_MODE: Literal["force_custom_plan", "auto", "force_generic_plan"] = Field(
        default="force_custom_plan",
        description="PostgreSQL plan_cache_mode of the app's connections (app.db.session: why not `auto`); "
        "the other two only to measure what a generic plan costs (bench/repeat.py)",
    )
    DB_POOL_RECYCLE_SECONDS: int = Field(
        default=1800, gt=0, description="PostgreSQL: replace pooled connections older than this"
    )
    EXPORT_CONCURRENCY: int = Field(
        default=2, gt=0, description="ledgers written at once per worker process (each holds a connection meanwhile)"
    )
    EXPORTS_PER_CREDENTIAL: int = Field(
        default=2, gt=0, description="exports one user or API key may have in flight at once; more is 429"
    )
    DB_POOL_TIMEOUT_SECONDS: float = Field(
        default=2, gt=0, description="wait at most this long for a pooled connection; then 503 with Retry-After"
    )
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: int = Field(
        default=60_000, gt=0, description="PostgreSQL idle_in_transaction_session_timeout (a backstop)"
    )
    SEND_TIMEOUT_SECONDS: float = Field(
        default=30, gt=0, description="a response write that waits longer on the client cuts the connection"
    )
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=10_000, gt=0)
    LOGIN_MAX_FAILURES_PER_USER: int = Field(
        default=5, gt=0, description="failed logins for one username inside LOGIN_WINDOW_SECONDS before 429"
    )
    LOGIN_MAX_FAILURES_PER_IP: int = Field(
        default=20, gt=0, description="failed logins from one client IP inside LOGIN_WINDOW_SECONDS before 429"
    )
    LOGIN_WINDOW_SECONDS: int = Field(
        default=300,
        gt=0,
        le=7 * 24 * 3600,
        description="sliding window of the login limits (shared on PostgreSQL / Redis, per process on SQLite)",
    )
    LOGIN_MAX_CONCURRENT_VERIFICATIONS: int = Field(
        default=4,
        gt=0,
        le=64,
        description="password checks (argon2, 64 MiB each) run at once per worker process; more logins wait",
    )
    CORS_ORIGINS: str = Field(
        default="",
        description="comma-separated browser origins allowed by CORS (https://host[:port]); "
        "empty: CORS closed, no CORS headers at all",
    )
    HTTPS_ONLY: bool = Field(
        default=False, description="the deployment is served over HTTPS only: send Strict-Transport-Security"
    )
    FORWARDED_ALLOW_IPS: str = Field(
        default="127.0.0.1,::1",
        description="comma-separated proxy addresses (or networks) whose X-Forwarded-For / X-Forwarded-Proto "
        "`serve` believes: the client IP of the per-IP limits; '*' believes every peer",
    )
    EVENT_RETENTION_DAYS: int = Field(
        default=365, gt=0, description="events older than this many days are pruned from the feed (by the worker)"
    )
    DUE_WORKING_DAYS_GENERAL: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="a general hazard created without due_on is due this many working days after found_on "
        "(empty: no default deadline)",
    )
    DUE_WORKING_DAYS_MAJOR: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="a major hazard created without due_on is due this many working days after found_on "
        "(empty: no default deadline)",
    )
    DRAW_SIGNING_KEYS: str = Field(
        default="",
        description="keys signing random draws, 'kid:secret,kid:secret' (secrets >= 32 characters): the first "
        "signs, all verify; key id 'legacy' is SECRET_KEY unless listed; empty: new draws are signed as 'legacy'",
    )

    REDIS_URL: str | None = Field(
        default=None,
        description="redis://HOST:PORT/DB: the login throttle and the public rate limit are counted there "
        "(shared by every worker and host); unset: in PostgreSQL, or in memory on the embedded SQLite default",
    )
    DATABASE_REPLICA_URL: str | None = Field(
        default=None,
        description="postgresql://… of a streaming replica: reports, lists and exports read there "
        '(README "Scaling out"); unset: everything on DATABASE_URL',
    )
    REPLICA_MAX_LAG_SECONDS: float = Field(
        default=30, gt=0, description="a replica further behind than this (or down) is not read from"
    )
    REPLICA_CHECK_SECONDS: float = Field(
        default=5, gt=0, description="how often each worker checks the replica's health and lag"
    )

    WEBHOOK_ALLOWED_HOSTS: str = Field(
        default="",
        description="comma-separated host names, IP addresses or CIDR networks webhooks may be delivered to over "
        "http or https, besides https URLs whose host resolves only to public addresses (the only ones when empty)",
    )
    WEBHOOK_TIMEOUT_SECONDS: float = Field(
        default=10, gt=0, le=300, description="a delivery attempt that has no 2xx answer by then has failed"
    )
    WEBHOOK_RETRY_SCHEDULE: str = Field(
        default="5,30,120,600,3600,21600",
        description="seconds to wait before each further attempt after a failed one, comma-separated "
        "(`1,1,1`: at most 4 attempts); after the last the delivery is `failed`",
    )
    WEBHOOK_WORKER_ENABLED: bool = Field(
        default=True, description="`serve` delivers webhooks in the background (off: only `inspection-tracker worker`)"
    )
    WEBHOOK_POLL_SECONDS: float = Field(
        default=1, gt=0, le=60, description="how often a delivery worker looks for new events and due deliveries"
    )

    REMIND_WORKING_DAYS_BEFORE: int = Field(
        default=3, ge=0, le=60, description="hazard.due_soon when the due date is at most this many working days away"
    )
    ESCALATION_LADDER: str = Field(
        default="reminder:1,supervision:5,interview:15",
        description="general hazards: 'level:working_days,…' — each level raised once, that many working days "
        "after due_on while not rectified (levels reminder, supervision, interview, listed)",
    )
    ESCALATION_LADDER_MAJOR: str = Field(
        default="supervision:1,listed:3,interview:10", description="the same ladder for major hazards (重大隐患)"
    )
    FOLLOW_UP_WORKING_DAYS: int = Field(
        default=20,
        gt=0,
        le=365,
        description="a verified major hazard's follow-up (回头看) is due this many working days later",
    )
    CERTIFICATE_NOTICE_DAYS: int = Field(
        default=60, ge=0, le=366, description="officer.certificate_expiring this many calendar days before expiry"
    )
    TICK_INTERVAL_SECONDS: float = Field(
        default=3600, gt=0, description="`serve` runs the deadline tick at start-up and then this often"
    )
    TICK_ENABLED: bool = Field(default=True, description="`serve` runs the deadline tick (off: only the CLI `tick`)")
    TICK_STATEMENT_TIMEOUT_MS: int = Field(
        default=600_000,
        gt=0,
        description="PostgreSQL statement_timeout inside a tick (a first tick over years of data raises a lot at once; "
        "DB_STATEMENT_TIMEOUT_MS stays for requests)",
    )

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.DATABASE_URL is not None:
            normalize_database_url(self.DATABASE_URL)  # fail fast on a bad scheme
        if self.DATABASE_REPLICA_URL is not None and not normalize_database_url(self.DATABASE_REPLICA_URL).startswith(
            "postgresql"
        ):
            raise ValueError("DATABASE_REPLICA_URL must be a postgresql:// URL (a streaming replica)")
        if self.SECRET_KEY is not None and len(self.SECRET_KEY) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters (HS256 wants a 256-bit key)")
        if self.SECRET_KEY is None and not self.uses_embedded_database:
            raise ValueError(
                "SECRET_KEY is required when DATABASE_URL is set (only the embedded SQLite default generates one)"
            )
        return self

    @field_validator("DUE_WORKING_DAYS_GENERAL", "DUE_WORKING_DAYS_MAJOR", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip() == "" else value

    @field_validator("DRAW_SIGNING_KEYS")
    @classmethod
    def _check_draw_keys(cls, value: str) -> str:
        parse_key_list(value, "DRAW_SIGNING_KEYS")
        return value

    @field_validator("WEBHOOK_RETRY_SCHEDULE")
    @classmethod
    def _check_retry_schedule(cls, value: str) -> str:
        parse_retry_schedule(value)
        return value

    @field_validator("ESCALATION_LADDER", "ESCALATION_LADDER_MAJOR")
    @classmethod
    def _check_ladder(cls, value: str, info: ValidationInfo) -> str:
        parse_ladder(value, str(info.field_name))
        return value

    @property
    def ladders(self) -> dict[str, list[tuple[str, int]]]:
        """The escalation ladders by severity (`general`, `major`)."""
        return {
            "general": parse_ladder(self.ESCALATION_LADDER, "ESCALATION_LADDER"),
            "major": parse_ladder(self.ESCALATION_LADDER_MAJOR, "ESCALATION_LADDER_MAJOR"),
        }

    @field_validator("WEBHOOK_ALLOWED_HOSTS")
    @classmethod
    def _check_allowed_hosts(cls, value: str) -> str:
        parse_allowed_hosts(value)
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _check_cors_origins(cls, value: str) -> str:
        for origin in _split_origins(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"CORS_ORIGINS: {origin!r} is not an origin like https://host or "
                    "http://host:port (scheme and host only, no path or trailing slash)"
                )
        return value

    @property
    def cors_origins(self) -> list[str]:
        """`CORS_ORIGINS` as a list; empty when CORS is closed."""
        return _split_origins(self.CORS_ORIGINS)

    @property
    def uses_embedded_database(self) -> bool:
        return self.DATABASE_URL is None

    @cached_property
    def database_url(self) -> str:
        """The SQLAlchemy async URL."""
        if self.DATABASE_URL is None:
            return f"sqlite+aiosqlite:///{(self.DATA_DIR / SQLITE_FILE_NAME).resolve()}"
        return normalize_database_url(self.DATABASE_URL)

    @cached_property
    def replica_url(self) -> str | None:
        """The SQLAlchemy async URL of the read replica, if one is configured."""
        return None if self.DATABASE_REPLICA_URL is None else normalize_database_url(self.DATABASE_REPLICA_URL)

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

    @cached_property
    def draw_keys(self) -> KeyRing:
        """The draw signing keys (README "Draw signing keys"): `DRAW_SIGNING_KEYS`, plus `legacy` = SECRET_KEY."""
        listed = parse_key_list(self.DRAW_SIGNING_KEYS, "DRAW_SIGNING_KEYS")
        current = next(iter(listed), LEGACY_KEY_ID)
        return KeyRing(current, {LEGACY_KEY_ID: self.secret_key, **listed})


def get_settings() -> Settings:
    """Read settings from the environment (called once per app / CLI command)."""
    return Settings()
