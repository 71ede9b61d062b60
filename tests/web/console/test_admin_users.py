"""系统管理 · 用户 (/console/admin/users): admins only, inside their region, the same rules as /users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.auth.models import User
from app.db.session import Database
from app.web.console import sessions
from app.web.console.admin.common import NOT_ADMIN
from tests.conftest import OTHER_REGION, OWN_REGION, TEST_PASSWORD, Actor, ActorFactory
from tests.web.console.admin_helpers import ORIGIN, beside, post, signed_in

USERS = "/console/admin/users"
PAGES = ["/console/admin", USERS, "/console/admin/keys", "/console/admin/webhooks"]


@pytest.fixture
async def second(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same server (its own cookies)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as c:
        yield c


async def user_count(db: Database) -> int:
    async with db.query_session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_without_a_session_pages_redirect_and_posts_are_refused(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path
    r = await client.post(USERS, data={"username": "x"}, headers={"Origin": ORIGIN})
    assert r.status_code == 403 and "请求来源无法确认" in r.text


@pytest.mark.parametrize("role", ["supervisor", "inspector", "viewer"])
async def test_non_admins_get_403_and_no_link(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database, role: str
) -> None:
    user = await make_actor(role, OWN_REGION)
    await signed_in(client, user.username)
    home = await client.get("/console/")
    assert home.status_code == 200 and "/console/admin" not in home.text and "系统管理" not in home.text
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 403 and NOT_ADMIN in r.text, path
    before = await user_count(clean_db)
    data = {"username": "made.by.viewer", "password": TEST_PASSWORD, "role": "admin", "region_code": OWN_REGION}
    r = await post(client, USERS, data)
    assert r.status_code == 403 and NOT_ADMIN in r.text
    r = await post(client, f"{USERS}/{user.user_id}", {"action": "save", "role": "admin", "region_code": ""})
    assert r.status_code == 403
    assert await user_count(clean_db) == before
    r = await client.get("/api/v1/users/me", headers=user.headers)
    assert r.json()["role"] == role  # its own role was not raised


async def test_admin_sees_the_link_and_creates_a_user(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    home = await client.get("/console/")
    assert '<a href="/console/admin">系统管理</a>' in home.text
    r = await client.get("/console/admin")
    assert (r.status_code, r.headers["location"]) == (303, USERS)
    page = await client.get(USERS)
    assert page.status_code == 200
    for label in ("用户名", "密码", "角色", "行政区划代码", "创建用户"):
        assert label in page.text
    assert f'value="{OWN_REGION}"' in page.text  # the admin's own region is proposed
    data = {"username": "li.si", "password": TEST_PASSWORD, "role": "inspector", "region_code": OWN_REGION + "101"}
    r = await post(client, USERS, data)
    assert r.status_code == 303, r.text
    user_id = r.headers["location"].rsplit("/", 1)[1]
    detail = await client.get(r.headers["location"])
    assert "li.si" in detail.text and "执法人员" in detail.text and OWN_REGION + "101" in detail.text
    listing = await client.get(USERS)
    assert f'data-id="{user_id}"' in listing.text and "li.si" in listing.text
    token = await client.post("/api/v1/auth/token", data={"username": "li.si", "password": TEST_PASSWORD})
    assert token.status_code == 200
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert (me.json()["role"], me.json()["region_code"]) == ("inspector", OWN_REGION + "101")


async def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    before = await user_count(clean_db)
    r = await post(client, USERS, {"username": "ab", "password": "short", "role": "", "region_code": "5x"})
    assert r.status_code == 422
    assert beside(r.text, "username") and beside(r.text, "password") == "密码至少8个字"
    assert beside(r.text, "role") == "请填写角色" and beside(r.text, "region_code") == "行政区划代码格式不正确"
    assert 'aria-describedby="username-error username-hint"' in r.text.replace("\n", " ")
    assert 'value="ab"' in r.text and 'value="short"' not in r.text  # what was typed stays, never the password
    data = {"username": "wang.wu", "password": TEST_PASSWORD, "role": "viewer", "region_code": OTHER_REGION}
    r = await post(client, USERS, data)
    assert r.status_code == 422 and "不在您的管辖范围内" in beside(r.text, "region_code")
    r = await post(client, USERS, {**data, "region_code": ""})  # the whole country is wider than the admin's
    assert r.status_code == 422 and beside(r.text, "region_code")
    r = await post(client, USERS, {**data, "username": "ａｄｍｉｎ", "region_code": OWN_REGION})
    assert r.status_code == 422 and "全角" in beside(r.text, "username")
    assert await user_count(clean_db) == before


async def test_a_taken_username_is_a_conflict_beside_the_field(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await make_actor("viewer", OWN_REGION, username="zhang.san")
    await signed_in(client, admin.username)
    before = await user_count(clean_db)
    data = {"username": "Zhang.San", "password": TEST_PASSWORD, "role": "viewer", "region_code": OWN_REGION}
    r = await post(client, USERS, data)
    assert r.status_code == 409
    assert beside(r.text, "username") == "该用户名已被登记,不能重复使用"
    assert 'value="Zhang.San"' in r.text
    assert await user_count(clean_db) == before


async def test_an_admin_of_one_county_cannot_see_or_change_another_countys_users(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    mine = await make_actor("viewer", OWN_REGION, username="mine.user")
    theirs = await make_actor("viewer", OTHER_REGION, username="their.user")
    await signed_in(client, admin.username)
    listing = await client.get(USERS)
    assert f'data-id="{mine.user_id}"' in listing.text
    assert f'data-id="{theirs.user_id}"' not in listing.text and "their.user" not in listing.text
    r = await client.get(f"{USERS}/{theirs.user_id}")
    assert r.status_code == 404 and "未找到该用户" in r.text and "their.user" not in r.text
    for action in ("disable", "save"):
        r = await post(client, f"{USERS}/{theirs.user_id}", {"action": action, "role": "admin", "region_code": ""})
        assert r.status_code == 404
    me = await client.get("/api/v1/users/me", headers=theirs.headers)
    assert me.status_code == 200 and me.json()["role"] == "viewer"  # still active, role unchanged
    r = await post(client, f"{USERS}/{mine.user_id}", {"action": "save", "role": "viewer", "region_code": OTHER_REGION})
    assert r.status_code == 422 and "不在您的管辖范围内" in beside(r.text, "region_code")
    assert (await client.get(f"{USERS}/not-a-uuid")).status_code == 404


@pytest.fixture
async def watched(client: httpx.AsyncClient, second: httpx.AsyncClient, make_actor: ActorFactory) -> Actor:
    """A viewer signed in in `second`, with an admin of its county signed in in `client`."""
    admin = await make_actor("admin", OWN_REGION)
    user = await make_actor("viewer", OWN_REGION)
    await signed_in(client, admin.username)
    await signed_in(second, user.username)
    return user


async def test_role_change_and_disable_take_effect_on_the_open_session_at_once(
    client: httpx.AsyncClient, second: httpx.AsyncClient, watched: Actor
) -> None:
    user = watched
    assert (await second.get(USERS)).status_code == 403
    path = f"{USERS}/{user.user_id}"
    r = await post(client, path, {"action": "save", "role": "admin", "region_code": OWN_REGION, "password": ""})
    assert (r.status_code, r.headers["location"]) == (303, path)
    assert (await second.get(USERS)).status_code == 200  # the open session has the new role at once
    r = await post(client, path, {"action": "disable"})
    assert r.status_code == 303
    page = await client.get(path)
    assert 'data-active="false"' in page.text and "启用" in page.text
    r = await second.get("/console/")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert (await second.get("/api/v1/users/me", headers=user.headers)).status_code == 401
    r = await post(client, path, {"action": "enable"})
    assert r.status_code == 303
    assert (await second.get("/console/")).status_code == 303  # enabling does not revive old sessions
    await signed_in(second, user.username)  # but the user can sign in again
    assert (await second.get("/console/")).status_code == 200


async def test_a_new_password_is_checked_and_ends_the_sessions(
    client: httpx.AsyncClient, second: httpx.AsyncClient, watched: Actor
) -> None:
    path = f"{USERS}/{watched.user_id}"
    r = await post(client, path, {"action": "save", "role": "viewer", "region_code": OWN_REGION, "password": "short"})
    assert r.status_code == 422 and beside(r.text, "password") == "密码至少8个字"
    assert (await second.get("/console/")).status_code == 200
    data = {"action": "save", "role": "viewer", "region_code": OWN_REGION, "password": "a brand new secret"}
    assert (await post(client, path, data)).status_code == 303
    assert (await second.get("/console/")).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(
    client: httpx.AsyncClient, second: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    user = await make_actor("viewer", OWN_REGION)
    await signed_in(client, user.username)
    cookie = client.cookies.get(sessions.SESSION_COOKIE)
    assert cookie
    r = await post(client, "/console/logout", {})
    assert (r.status_code, r.headers["location"]) == (303, "/console/login")
    second.cookies.set(sessions.SESSION_COOKIE, cookie, path="/console")  # a copy of the cookie
    assert (await second.get("/console/")).status_code == 303
    headers = {"Authorization": f"Bearer {cookie}"}
    assert (await second.get("/api/v1/users/me", headers=headers)).status_code == 401
    await signed_in(client, user.username)  # signing in again works
    assert (await client.get("/console/")).status_code == 200


async def test_a_user_is_linked_to_an_officer_of_the_region_once(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    national = await make_actor("admin", "")
    body = {"name": "陈明", "unit": "石柱县民政局", "region_code": OWN_REGION}
    ours = (await client.post("/api/v1/officers", json=body, headers=national.headers)).json()["id"]
    body = {"name": "周强", "unit": "万州区民政局", "region_code": OTHER_REGION}
    theirs = (await client.post("/api/v1/officers", json=body, headers=national.headers)).json()["id"]
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    page = await client.get(USERS)
    assert f'<option value="{ours}">陈明(石柱县民政局)</option>' in page.text and theirs not in page.text
    data = {"username": "chen.ming", "password": TEST_PASSWORD, "role": "inspector", "region_code": OWN_REGION}
    r = await post(client, USERS, {**data, "officer_id": ours})
    assert r.status_code == 303, r.text
    first = r.headers["location"]
    detail = await client.get(first)
    assert f'href="/console/officers/{ours}">陈明(石柱县民政局)</a>' in detail.text
    r = await post(client, USERS, {**data, "username": "chen.ming2", "officer_id": ours})
    assert r.status_code == 409 and beside(r.text, "officer_id") == "该执法人员已关联其他用户"
    r = await post(client, USERS, {**data, "username": "chen.ming3", "officer_id": theirs})  # a forged choice
    assert r.status_code == 422 and beside(r.text, "officer_id") == "所选执法人员不存在或不在您的管辖范围内"
    r = await post(client, first, {"action": "save", "role": "inspector", "region_code": OWN_REGION, "officer_id": ""})
    assert r.status_code == 303
    me = await client.get(f"/api/v1/users/{first.rsplit('/', 1)[1]}", headers=admin.headers)
    assert me.json()["officer_id"] is None  # 不关联 unlinks
