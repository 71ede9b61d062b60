"""/users: creating, listing, reading and changing users; admins only, and only inside their own region."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from app.db.session import Database
from tests.auth.helpers import (
    ME_URL,
    USERS_URL,
    assert_problem,
    bearer,
    login,
    new_user_body,
    token_for,
    user_row,
    user_rows,
)
from tests.conftest import OTHER_REGION, OWN_REGION, TEST_PASSWORD, Actor, ActorFactory

USER_FIELDS = {"id", "username", "role", "region_code", "is_active", "created_at"}


# --- POST /users -------------------------------------------------------------------------------------------


async def test_create_user_201(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    data = new_user_body(username="li.si", role="supervisor", region_code=OWN_REGION)
    r = await client.post(USERS_URL, headers=admin.headers, json=data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= USER_FIELDS
    assert not any("password" in k for k in body), body
    assert data["password"] not in r.text
    assert (body["username"], body["role"], body["region_code"], body["is_active"]) == (
        "li.si",
        "supervisor",
        OWN_REGION,
        True,
    )
    assert r.headers["location"] == f"/api/v1/users/{body['id']}"

    again = await client.get(r.headers["location"], headers=admin.headers)
    assert again.status_code == 200
    assert again.json() == body

    stored = await user_row(clean_db, body["id"])
    assert stored is not None
    assert stored.username == "li.si" and stored.role == Role.supervisor and stored.region_code == OWN_REGION
    assert stored.password_hash.startswith("$argon2id$")
    assert data["password"] not in stored.password_hash

    token = await token_for(client, "li.si", data["password"])
    me = await client.get(ME_URL, headers=bearer(token))
    assert me.status_code == 200 and me.json()["id"] == body["id"]


async def test_region_code_defaults_to_everything(client: httpx.AsyncClient, admin: Actor) -> None:
    data = new_user_body()
    del data["region_code"]
    r = await client.post(USERS_URL, headers=admin.headers, json=data)
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == ""


async def test_chinese_username_kept_verbatim(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(USERS_URL, headers=admin.headers, json=new_user_body(username="张三丰"))
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "张三丰"
    assert (await login(client, "张三丰", "a long enough password")).status_code == 200


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_create_user_needs_admin(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database, role: Role
) -> None:
    actor = await make_actor(role, "")
    data = new_user_body()
    assert_problem(await client.post(USERS_URL, headers=actor.headers, json=data), 403)
    assert await user_rows(clean_db, data["username"]) == []


async def test_create_user_without_credentials_401(client: httpx.AsyncClient, clean_db: Database) -> None:
    data = new_user_body()
    assert_problem(await client.post(USERS_URL, json=data), 401)
    assert await user_rows(clean_db, data["username"]) == []


async def test_duplicate_username_409(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    first = await client.post(USERS_URL, headers=admin.headers, json=new_user_body(username="wang.wu"))
    assert first.status_code == 201, first.text
    r = await client.post(
        USERS_URL,
        headers=admin.headers,
        json=new_user_body(username="wang.wu", role="viewer", password="another password"),
    )
    assert_problem(r, 409, "username")
    rows = await user_rows(clean_db, "wang.wu")
    assert [str(u.id) for u in rows] == [first.json()["id"]]
    assert rows[0].role == Role.inspector


@pytest.mark.real_commits
async def test_concurrent_duplicate_username_one_wins(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database
) -> None:
    answers = await asyncio.gather(
        *[client.post(USERS_URL, headers=admin.headers, json=new_user_body(username="zhao.liu")) for _ in range(3)]
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    for a in answers:
        if a.status_code == 409:
            assert_problem(a, 409, "username")
    assert len(await user_rows(clean_db, "zhao.liu")) == 1


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("username", {"username": "ab"}),
        ("username", {"username": "has space"}),
        ("username", {"username": "x" * 65}),
        ("username", {"username": "semi;colon"}),
        ("username", {"username": 12345}),
        ("username", {"username": None}),
        ("password", {"password": "short"}),
        ("password", {"password": "x" * 129}),
        ("role", {"role": "superuser"}),
        ("role", {"role": "Admin"}),
        ("region_code", {"region_code": "abc"}),
        ("region_code", {"region_code": "5"}),
        ("region_code", {"region_code": "5002400010011"}),
        ("region_code", {"region_code": " 500240"}),
        ("email", {"email": "li@example.org"}),
        ("is_active", {"is_active": False}),
    ],
)
async def test_create_user_invalid_422(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, field: str, overrides: dict[str, Any]
) -> None:
    data = new_user_body(**overrides)
    assert_problem(await client.post(USERS_URL, headers=admin.headers, json=data), 422, field)
    if isinstance(data["username"], str):
        assert await user_rows(clean_db, data["username"]) == []


@pytest.mark.parametrize("missing", ["username", "password", "role"])
async def test_create_user_missing_field_422(client: httpx.AsyncClient, admin: Actor, missing: str) -> None:
    data = new_user_body()
    del data[missing]
    assert_problem(await client.post(USERS_URL, headers=admin.headers, json=data), 422, missing)


async def test_create_user_malformed_json_422(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(
        USERS_URL, headers={**admin.headers, "Content-Type": "application/json"}, content=b'{"username": "x",'
    )
    assert_problem(r, 422)


@pytest.mark.parametrize("region", [OTHER_REGION, "", "50", "5002"])
async def test_regional_admin_cannot_create_outside_or_wider(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database, region: str
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    data = new_user_body(region_code=region, role="admin")
    body = assert_problem(await client.post(USERS_URL, headers=regional.headers, json=data), 403)
    assert "region_code" in body["detail"]
    assert await user_rows(clean_db, data["username"]) == []


@pytest.mark.parametrize("region", [OWN_REGION, "500240001"])
async def test_regional_admin_creates_inside(client: httpx.AsyncClient, make_actor: ActorFactory, region: str) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    r = await client.post(USERS_URL, headers=regional.headers, json=new_user_body(region_code=region))
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == region


# --- GET /users, GET /users/{user_id} --------------------------------------------------------------------------


async def test_list_users_envelope_and_pages(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    others = [await make_actor(role, OWN_REGION) for role in (Role.viewer, Role.inspector, Role.supervisor)]
    expected = sorted([admin.username, *(a.username for a in others)])

    r = await client.get(USERS_URL, headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "next_cursor"}
    assert [u["username"] for u in body["items"]] == expected
    assert body["next_cursor"] is None
    assert all(set(u) >= USER_FIELDS and not any("password" in k for k in u) for u in body["items"])

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(expected) + 1):
        params: dict[str, str | int] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await client.get(USERS_URL, headers=admin.headers, params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 1
        seen += [u["username"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected

    two = await client.get(USERS_URL, headers=admin.headers, params={"limit": 2, "unknown": "ignored"})
    assert [u["username"] for u in two.json()["items"]] == expected[:2]
    assert two.json()["next_cursor"] is not None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_list_users_bad_query_422(
    client: httpx.AsyncClient, admin: Actor, params: dict[str, Any], field: str
) -> None:
    assert_problem(await client.get(USERS_URL, headers=admin.headers, params=params), 422, field)


async def test_list_users_limit_500_allowed(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(USERS_URL, headers=admin.headers, params={"limit": 500})
    assert r.status_code == 200, r.text


async def test_regional_admin_lists_only_its_region(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    inside = await make_actor(Role.viewer, OWN_REGION)
    sub = await make_actor(Role.inspector, "500240001")
    await make_actor(Role.viewer, OTHER_REGION)
    await make_actor(Role.viewer, "50")
    r = await client.get(USERS_URL, headers=regional.headers)
    assert r.status_code == 200, r.text
    assert {u["username"] for u in r.json()["items"]} == {regional.username, inside.username, sub.username}
    everyone = await client.get(USERS_URL, headers=admin.headers)
    assert len(everyone.json()["items"]) == 6


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_list_and_read_users_need_admin(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role) -> None:
    actor = await make_actor(role, "")
    assert_problem(await client.get(USERS_URL, headers=actor.headers), 403)
    assert_problem(await client.get(f"{USERS_URL}/{actor.user_id}", headers=actor.headers), 403)


async def test_get_user(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    inside = await make_actor(Role.viewer, "500240001")
    r = await client.get(f"{USERS_URL}/{inside.user_id}", headers=regional.headers)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == inside.username and r.json()["region_code"] == "500240001"


@pytest.mark.parametrize("region", [OTHER_REGION, "", "50"])
async def test_get_user_outside_region_404(client: httpx.AsyncClient, make_actor: ActorFactory, region: str) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    outside = await make_actor(Role.viewer, region)
    assert_problem(await client.get(f"{USERS_URL}/{outside.user_id}", headers=regional.headers), 404)


async def test_get_unknown_user_404_and_not_uuid_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.get(f"{USERS_URL}/{uuid.uuid4()}", headers=admin.headers), 404)
    assert_problem(await client.get(f"{USERS_URL}/not-a-uuid", headers=admin.headers), 422, "user_id")


# --- PATCH /users/{user_id} -----------------------------------------------------------------------------------


async def test_patch_role(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={"role": "supervisor"})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "supervisor"
    assert r.json()["region_code"] == OWN_REGION and r.json()["is_active"] is True  # untouched
    stored = await user_row(clean_db, target.user_id)
    assert stored is not None and stored.role == Role.supervisor


async def test_patch_password_then_login(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    target = await make_actor(Role.viewer, OWN_REGION)
    r = await client.patch(
        f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={"password": "a brand new secret"}
    )
    assert r.status_code == 200, r.text
    assert "a brand new secret" not in r.text and not any("password" in k for k in r.json())
    assert_problem(await login(client, target.username, TEST_PASSWORD), 401)
    assert (await login(client, target.username, "a brand new secret")).status_code == 200


async def test_patch_disable(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={"is_active": False})
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    stored = await user_row(clean_db, target.user_id)
    assert stored is not None and stored.is_active is False
    assert_problem(await login(client, target.username, TEST_PASSWORD), 401)
    listed = await client.get(USERS_URL, headers=admin.headers)
    assert {u["username"]: u["is_active"] for u in listed.json()["items"]}[target.username] is False


async def test_patch_empty_body_changes_nothing(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    before = (await client.get(f"{USERS_URL}/{target.user_id}", headers=admin.headers)).json()
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={})
    assert r.status_code == 200, r.text
    assert r.json() == before


@pytest.mark.parametrize("field", ["password", "role", "region_code", "is_active"])
async def test_patch_null_field_422(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database, field: str
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={field: None})
    assert_problem(r, 422, field)
    stored = await user_row(clean_db, target.user_id)
    assert stored is not None and (stored.role, stored.region_code, stored.is_active) == (
        Role.inspector,
        OWN_REGION,
        True,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "short"),
        ("role", "root"),
        ("region_code", "x1"),
        ("is_active", "maybe"),
        ("username", "renamed"),
    ],
)
async def test_patch_invalid_422(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, field: str, value: str
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={field: value})
    assert_problem(r, 422, field)


async def test_patch_unknown_404_not_uuid_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(
        await client.patch(f"{USERS_URL}/{uuid.uuid4()}", headers=admin.headers, json={"role": "viewer"}), 404
    )
    assert_problem(
        await client.patch(f"{USERS_URL}/12", headers=admin.headers, json={"role": "viewer"}), 422, "user_id"
    )


async def test_regional_admin_patch_scope(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    inside = await make_actor(Role.viewer, OWN_REGION)
    outside = await make_actor(Role.viewer, OTHER_REGION)
    url = f"{USERS_URL}/{inside.user_id}"
    for wider in ("", "50", OTHER_REGION):
        assert_problem(await client.patch(url, headers=regional.headers, json={"region_code": wider}), 403)
    stored = await user_row(clean_db, inside.user_id)
    assert stored is not None and stored.region_code == OWN_REGION
    r = await client.patch(url, headers=regional.headers, json={"region_code": "500240001"})
    assert r.status_code == 200 and r.json()["region_code"] == "500240001"
    r = await client.patch(f"{USERS_URL}/{outside.user_id}", headers=regional.headers, json={"is_active": False})
    assert_problem(r, 404)
    stored = await user_row(clean_db, outside.user_id)
    assert stored is not None and stored.is_active is True


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_patch_needs_admin(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database, role: Role
) -> None:
    actor = await make_actor(role, "")
    r = await client.patch(f"{USERS_URL}/{actor.user_id}", headers=actor.headers, json={"role": "admin"})
    assert_problem(r, 403)
    stored = await user_row(clean_db, actor.user_id)
    assert stored is not None and stored.role == role


# --- GET /users/me ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
async def test_me_for_each_role(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role) -> None:
    actor = await make_actor(role, OWN_REGION)
    r = await client.get(ME_URL, headers=actor.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["username"], body["role"], body["region_code"], body["is_active"]) == (
        str(actor.user_id),
        actor.username,
        role.value,
        OWN_REGION,
        True,
    )
    assert not any("password" in k for k in body)


async def test_me_with_api_key_404(client: httpx.AsyncClient, admin: Actor) -> None:
    created = await client.post(
        "/api/v1/api-keys", headers=admin.headers, json={"name": "dashboard", "role": "admin", "region_code": ""}
    )
    assert created.status_code == 201, created.text
    body = assert_problem(await client.get(ME_URL, headers=bearer(created.json()["key"])), 404)
    assert "API key" in body["detail"]
