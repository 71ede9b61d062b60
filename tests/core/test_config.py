"""Settings (DATABASE_URL normalisation, SECRET_KEY rules), the credit code checker, and cursor encoding."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from app.core.config import SQLITE_FILE_NAME, Settings, normalize_database_url
from app.core.errors import ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor, page_of, paginate
from app.institutions.models import Institution
from app.institutions.schemas import CREDIT_CODE_CHARSET, credit_code_check_char, validate_credit_code

ENV_VARS = ("DATABASE_URL", "DATA_DIR", "SECRET_KEY", "MAX_BODY_BYTES", "LOG_LEVEL")
SECRET = "s" * 32


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings from the environment or a stray .env: run in an empty directory."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- DATABASE_URL ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("sqlite:///x", "sqlite+aiosqlite:///x"),
        ("sqlite:////var/lib/it/db.sqlite3", "sqlite+aiosqlite:////var/lib/it/db.sqlite3"),
        ("sqlite+pysqlite:///x", "sqlite+aiosqlite:///x"),
        ("sqlite+aiosqlite:///x", "sqlite+aiosqlite:///x"),
        ("SQLite:///x", "sqlite+aiosqlite:///x"),
        ("postgresql://it@db:5432/it", "postgresql+asyncpg://it@db:5432/it"),
        ("postgres://it:pw@db/it", "postgresql+asyncpg://it:pw@db/it"),
        ("postgresql+psycopg2://it@db/it", "postgresql+asyncpg://it@db/it"),
        ("postgresql+asyncpg://it@db/it?ssl=require", "postgresql+asyncpg://it@db/it?ssl=require"),
    ],
)
def test_database_url_is_normalised(given_url: str, expected: str) -> None:
    assert normalize_database_url(given_url) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "oracle://x", "/var/lib/db.sqlite3", "sqlite:x", "", "http://h"])
def test_bad_database_url_raises(bad: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        normalize_database_url(bad)


def test_settings_refuse_bad_scheme(clean_env: Path) -> None:
    with pytest.raises(ValidationError, match="not supported"):
        Settings(DATABASE_URL="mysql://u@h/db", SECRET_KEY=SECRET)


def test_settings_read_and_normalise_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://it@db:5432/it")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://it@db:5432/it"
    assert not settings.is_sqlite
    assert not settings.uses_embedded_database
    assert settings.secret_key == SECRET
    assert settings.MAX_BODY_BYTES == 1024


def test_settings_read_dotenv(clean_env: Path) -> None:
    (clean_env / ".env").write_text(f"DATABASE_URL=sqlite:///{clean_env}/x.db\nSECRET_KEY={SECRET}\n", encoding="utf-8")
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{clean_env}/x.db"
    assert settings.is_sqlite
    assert settings.secret_key == SECRET


@pytest.mark.parametrize(
    "bad", [{"MAX_BODY_BYTES": 0}, {"MAX_BODY_BYTES": -1}, {"SECRET_KEY": "short"}, {"SECRET_KEY": "s" * 31}]
)
def test_settings_ranges(clean_env: Path, bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**{"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": SECRET, **bad})  # type: ignore[arg-type]


# --- SECRET_KEY -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["postgresql://it@db/it", "sqlite:///elsewhere.db"])
def test_secret_key_required_when_database_url_is_set(clean_env: Path, url: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(DATABASE_URL=url)
    assert not (clean_env / "data").exists(), "no key may be generated for an explicit database"


def test_embedded_default_generates_secret_once(clean_env: Path) -> None:
    settings = Settings()
    assert settings.uses_embedded_database
    assert settings.database_url == f"sqlite+aiosqlite:///{(clean_env / 'data' / SQLITE_FILE_NAME).resolve()}"
    key = settings.secret_key
    assert len(key) >= 32
    key_file = clean_env / "data" / "secret_key"
    assert key_file.read_text(encoding="ascii").strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A restart (new Settings) reuses it, so tokens survive.
    assert Settings().secret_key == key


def test_embedded_default_lives_under_data_dir(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = clean_env / "var" / "it"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE_NAME).resolve()}"
    key = settings.secret_key
    assert (data_dir / "secret_key").read_text(encoding="ascii") == key
    assert not (clean_env / "data").exists()
    # Another DATA_DIR is another installation: another key.
    other = Settings(DATA_DIR=clean_env / "other")
    assert other.secret_key != key


def test_explicit_secret_wins_on_embedded_default(clean_env: Path) -> None:
    assert Settings(SECRET_KEY=SECRET).secret_key == SECRET
    assert not (clean_env / "data" / "secret_key").exists()


# --- unified social credit code ---------------------------------------------------------------------------------

VALID_CODES = ["91350100M000100Y43", "91110000802100433B", "91500240MA5U000018"]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes(code: str) -> None:
    assert validate_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]


def test_credit_code_is_normalised() -> None:
    assert validate_credit_code(" 91350100m000100y43\n") == "91350100M000100Y43"


def test_alphabet_has_31_characters_without_i_o_s_v_z() -> None:
    assert len(CREDIT_CODE_CHARSET) == len(set(CREDIT_CODE_CHARSET)) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_CHARSET)


@pytest.mark.parametrize("code", VALID_CODES)
def test_every_single_substitution_is_caught(code: str) -> None:
    """The mod-31 check (31 prime, no weight a multiple of 31) catches any one wrong character."""
    for position in range(18):
        for char in CREDIT_CODE_CHARSET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            with pytest.raises(ValueError, match="unified social credit code"):
                validate_credit_code(changed)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("", "18 characters"),
        ("91350100I000100Y43", "without I, O, S, V, Z"),
        ("91350100O000100Y43", "without I, O, S, V, Z"),
        ("91350100S000100Y43", "without I, O, S, V, Z"),
        ("91350100V000100Y43", "without I, O, S, V, Z"),
        ("91350100Z000100Y43", "without I, O, S, V, Z"),
        ("91350100M000100Y4-", "without I, O, S, V, Z"),
        ("9135010０M000100Y43", "without I, O, S, V, Z"),
        ("91A50100M000100Y43", "region code"),
        ("91350100M000100Y44", "check character"),
    ],
)
def test_bad_credit_codes(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_credit_code(code)


_BODY_CHAR = st.sampled_from(CREDIT_CODE_CHARSET)


@given(
    head=st.text(_BODY_CHAR, min_size=2, max_size=2),
    region=st.text("0123456789", min_size=6, max_size=6),
    org=st.text(_BODY_CHAR, min_size=9, max_size=9),
)
def test_computed_check_character_always_validates(head: str, region: str, org: str) -> None:
    first17 = head + region + org
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code.lower()) == code


# --- cursors --------------------------------------------------------------------------------------------------


def test_cursor_round_trip() -> None:
    some_id = uuid.uuid4()
    values = ["石柱县殡仪馆", some_id, 42, None, date(2023, 5, 4), datetime(2023, 5, 4, 1, 2, 3, tzinfo=UTC)]
    cursor = encode_cursor(values)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), cursor
    assert decode_cursor(cursor, len(values)) == [
        "石柱县殡仪馆",
        str(some_id),
        42,
        None,
        "2023-05-04",
        "2023-05-04T01:02:03+00:00",
    ]


def test_cursor_refuses_unsupported_values() -> None:
    with pytest.raises(TypeError):
        encode_cursor([1.5])


@pytest.mark.parametrize(
    ("cursor", "size"),
    [
        ("garbage!!", 2),
        ("", 1),
        (encode_cursor(["a", "b"]), 1),
        (encode_cursor(["a", "b"]), 3),
        ("eyJhIjogMX0", 1),  # {"a": 1}: not a list
        ("_-8", 1),  # bytes that are not UTF-8
    ],
)
def test_foreign_cursor_is_validation_error_on_cursor(cursor: str, size: int) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, size)
    assert info.value.status == 422
    assert info.value.errors is not None
    assert info.value.errors[0].loc == ["query", "cursor"]
    assert "cursor" in info.value.detail


@pytest.mark.parametrize("values", [["石柱", "not-a-uuid"], ["石柱", None], [None, str(uuid.uuid4())]])
def test_paginate_refuses_cursor_with_wrong_key_types(values: list[object]) -> None:
    with pytest.raises(ValidationFailed, match="cursor"):
        paginate(
            select(Institution), [Institution.name, Institution.id], encode_cursor(values), 10, parse=[str, uuid.UUID]
        )


def test_paginate_fetches_one_extra_row() -> None:
    stmt = paginate(select(Institution), [Institution.name, Institution.id], None, 10)
    assert stmt.compile(compile_kwargs={"literal_binds": True}).string.rstrip().endswith("LIMIT 11")


def test_page_of_splits_rows_and_cursor() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    items, cursor = page_of(rows, 2, lambda r: list(r))
    assert items == [("a", 1), ("b", 2)]
    assert cursor is not None and decode_cursor(cursor, 2) == ["b", 2]
    assert page_of(rows, 3, lambda r: list(r)) == (rows, None)
    assert page_of([], 3, lambda r: list(r)) == ([], None)
