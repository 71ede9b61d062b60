"""系统管理 · API密钥 (/console/admin/keys): created inside the admin's region, shown once, revoked at once."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from app.auth.models import ApiKey
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.admin_helpers import beside, post, signed_in

KEYS = "/console/admin/keys"
SECRET = re.compile(r'value="(itk_[^"]+)" data-secret="api-key"')


async def key_count(db: Database) -> int:
    async with db.query_session() as session:
        return int(await session.scalar(select(func.count()).select_from(ApiKey)) or 0)


async def test_a_key_is_shown_once_works_and_is_revoked(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    r = await post(client, KEYS, {"name": "市局数据平台", "role": "viewer", "region_code": OWN_REGION})
    assert r.status_code == 200, r.text
    assert "它只显示这一次" in r.text
    match = SECRET.search(r.text)
    assert match is not None
    key = match.group(1)
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/institutions", headers=headers)).status_code == 200
    again = await client.get(KEYS)
    assert again.status_code == 200 and "市局数据平台" in again.text
    assert key not in again.text and 'data-secret="api-key"' not in again.text  # never shown again
    key_id = re.search(r'<tr data-id="([0-9a-f-]{36})"', again.text)
    assert key_id is not None
    r = await post(client, f"{KEYS}/{key_id.group(1)}/revoke", {})
    assert (r.status_code, r.headers["location"]) == (303, KEYS)
    assert (await client.get("/api/v1/institutions", headers=headers)).status_code == 401
    listing = await client.get(KEYS)
    assert "已吊销" in listing.text and key not in listing.text
    r = await post(client, f"{KEYS}/{key_id.group(1)}/revoke", {})  # twice changes nothing
    assert r.status_code == 303


async def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    r = await post(client, KEYS, {"name": "  ", "role": "root", "region_code": OWN_REGION})
    assert r.status_code == 422
    assert beside(r.text, "name") == "请填写名称" and beside(r.text, "role") == "角色请从列表中选择"
    assert "itk_" not in r.text
    r = await post(client, KEYS, {"name": "外区", "role": "viewer", "region_code": OTHER_REGION})
    assert r.status_code == 422 and "不在您的管辖范围内" in beside(r.text, "region_code")
    assert 'value="外区"' in r.text
    assert await key_count(clean_db) == 0


async def test_keys_of_another_region_are_neither_listed_nor_revocable(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    national = await make_actor("admin", "")
    admin = await make_actor("admin", OWN_REGION)
    r = await client.post(
        "/api/v1/api-keys",
        json={"name": "万州接口", "role": "viewer", "region_code": OTHER_REGION},
        headers=national.headers,
    )
    assert r.status_code == 201
    other_id, other_key = r.json()["id"], r.json()["key"]
    await signed_in(client, admin.username)
    listing = await client.get(KEYS)
    assert other_id not in listing.text and "万州接口" not in listing.text
    r = await post(client, f"{KEYS}/{other_id}/revoke", {})
    assert r.status_code == 404 and "未找到该API密钥" in r.text
    assert (
        await client.get("/api/v1/institutions", headers={"Authorization": f"Bearer {other_key}"})
    ).status_code == 200


async def test_non_admins_cannot_create_or_revoke(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "k", "role": "viewer", "region_code": OWN_REGION}, headers=admin.headers
    )
    key_id = r.json()["id"]
    supervisor = await make_actor("supervisor", OWN_REGION)
    await signed_in(client, supervisor.username)
    r = await post(client, KEYS, {"name": "mine", "role": "admin", "region_code": OWN_REGION})
    assert r.status_code == 403 and "itk_" not in r.text
    r = await post(client, f"{KEYS}/{key_id}/revoke", {})
    assert r.status_code == 403
    assert await key_count(clean_db) == 1
    r = await client.get(f"/api/v1/api-keys/{key_id}", headers=admin.headers)
    assert r.json()["revoked_at"] is None
