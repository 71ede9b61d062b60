"""Look-alike usernames (issue 13, item 7): a username is in NFKC form and in one script (ASCII, or Chinese
characters with digits), and no two differ only in case — on POST /users and on the create-user command."""

from __future__ import annotations

import asyncio
import os
import sys
import unicodedata
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.auth.usernames import MIXED_SCRIPT, check_username, is_single_script
from app.core.config import Settings
from app.db.session import Database
from tests.auth.helpers import USERS_URL, assert_problem, login, new_user_body, user_rows
from tests.conftest import Actor

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"

# The examples beside `admin`, and their kin.
NOT_NFKC = [
    "ａｄｍｉｎ",  # full-width letters
    "admin_50024０",  # one full-width digit
    "ａdmin",  # one full-width letter
    "admin①",  # a circled digit (NFKC: 1)
    "ﬁnance",  # the fi ligature
    "李四２",  # Chinese with a full-width digit
    "管理\uf900",  # a CJK compatibility ideograph (NFKC: U+8C48)
]
MIXED = [
    "аdmin",  # Cyrillic а (U+0430)
    "admіn",  # Cyrillic і (U+0456)
    "αdmin",  # Greek alpha
    "ádmin",  # accented Latin
    "张san",  # Chinese and Latin letters
    "张三_1",  # Chinese with an underscore
]


async def _create(client: httpx.AsyncClient, admin: Actor, username: str) -> httpx.Response:
    return await client.post(USERS_URL, headers=admin.headers, json=new_user_body(username=username))


async def _usernames(db: Database) -> list[str]:
    async with db.sessionmaker() as s:
        return sorted((await s.execute(select(User.username))).scalars())


# --- the rule itself ------------------------------------------------------------------------------------------------


def test_rule_on_its_own() -> None:
    assert [is_single_script(v) for v in ("zhang.san", "Li_Si-2@x", "张三丰", "李四2", "2024张")] == [True] * 5
    assert [is_single_script(v) for v in ("аdmin", "张san", "123", "ⅷ")] == [False, False, True, False]
    assert check_username("admin_500240") == "admin_500240"
    assert check_username("張三豐") == "張三豐"  # traditional characters are ordinary ideographs, NFKC-stable


# --- POST /users ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", NOT_NFKC)
async def test_username_not_in_nfkc_form_422(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, username: str
) -> None:
    assert (await _create(client, admin, "admin")).status_code == 201
    body = assert_problem(await _create(client, admin, username), 422, "username")
    msg = body["errors"][0]["msg"]
    assert "全角或兼容字符" in msg
    assert unicodedata.normalize("NFKC", username) in msg  # says what it would have been
    assert await _usernames(clean_db) == sorted(["admin", admin.username])


@pytest.mark.parametrize("username", MIXED)
async def test_username_mixing_scripts_422(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, username: str
) -> None:
    body = assert_problem(await _create(client, admin, username), 422, "username")
    assert body["errors"][0]["msg"] == MIXED_SCRIPT
    assert await user_rows(clean_db, username) == []


@pytest.mark.parametrize("existing", ["admin", "Admin"])
@pytest.mark.parametrize("username", ["Admin", "ADMIN", "aDmIn", "admin"])
async def test_username_differing_only_in_case_409(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, existing: str, username: str
) -> None:
    first = await _create(client, admin, existing)
    assert first.status_code == 201, first.text
    body = assert_problem(await _create(client, admin, username), 409, "username")
    if username != existing:
        assert f"'{existing}'" in body["detail"]  # names the one it collides with
    async with clean_db.sessionmaker() as s:
        stored = (await s.execute(select(User.username).where(func.lower(User.username) == "admin"))).scalars()
        assert list(stored) == [existing]


async def test_accepted_names_kept_verbatim(client: httpx.AsyncClient, admin: Actor) -> None:
    for username in ("Zhang.San", "li_si-2@bureau", "张三丰", "李四2", "王五2024"):
        r = await _create(client, admin, username)
        assert r.status_code == 201, r.text
        assert r.json()["username"] == username
    assert (await login(client, "Zhang.San", PASSWORD)).status_code == 200
    assert_problem(await login(client, "zhang.san", PASSWORD), 401)  # logging in takes the name as stored


@pytest.mark.real_commits
async def test_concurrent_case_twins_one_wins(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    answers = await asyncio.gather(*(_create(client, admin, name) for name in ("zhao.liu", "Zhao.Liu", "ZHAO.LIU")))
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    for a in answers:
        if a.status_code == 409:
            assert_problem(a, 409, "username")
    async with clean_db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).where(func.lower(User.username) == "zhao.liu")) == 1


async def test_database_refuses_case_twins(clean_db: Database) -> None:
    """The unique index on lower(username) holds even for a writer that skips the service."""
    async with clean_db.sessionmaker() as s:
        s.add(User(username="root.admin", password_hash="x", role=Role.admin))
        await s.commit()
        s.add(User(username="Root.Admin", password_hash="x", role=Role.admin))
        with pytest.raises(IntegrityError):
            await s.commit()


# --- the create-user command ------------------------------------------------------------------------------------


async def _cli(settings: Settings, username: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.DATABASE_URL),
        "SECRET_KEY": str(settings.SECRET_KEY),
        "DATA_DIR": str(settings.DATA_DIR),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "create-user",
        username,
        "--role",
        "admin",
        "--password-stdin",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(f"{PASSWORD}\n".encode()), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@pytest.mark.real_commits
async def test_create_user_command_refuses_look_alikes(settings: Settings, clean_db: Database) -> None:
    assert (await _cli(settings, "admin"))[0] == 0
    for username in ("аdmin", "ａｄｍｉｎ"):
        code, out = await _cli(settings, username)
        assert code == 2, out
        assert "username" in out and ("全角" in out or "不能混用" in out), out
    code, out = await _cli(settings, "Admin")
    assert code == 1, out
    assert "already taken" in out and "'admin'" in out
    assert await _usernames(clean_db) == ["admin"]
