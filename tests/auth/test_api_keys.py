"""/api-keys: a key is shown once, acts with its own role and region as a Bearer token, and stops on revoke."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from app.core.clock import frozen_clock
from app.db.session import Database
from tests.auth.helpers import (
    INSTITUTIONS_URL,
    KEYS_URL,
    USERS_URL,
    assert_problem,
    bearer,
    institution_body,
    key_row,
    new_user_body,
)
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory

SECRET_AT = len("itk_") + 32 + 1  # itk_<key id hex>_<secret>; the secret may itself contain '_'
KEY_FIELDS = {"id", "name", "role", "region_code", "created_at", "revoked_at"}


async def create_key(
    client: httpx.AsyncClient,
    actor: Actor,
    role: str = "viewer",
    region_code: str = OWN_REGION,
    name: str = "大屏 dashboard",
) -> dict[str, Any]:
    r = await client.post(
        KEYS_URL, headers=actor.headers, json={"name": name, "role": role, "region_code": region_code}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_create_key_201_shown_once(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    r = await client.post(
        KEYS_URL, headers=admin.headers, json={"name": "大屏 dashboard", "role": "viewer", "region_code": OWN_REGION}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= KEY_FIELDS | {"key"}
    assert (body["name"], body["role"], body["region_code"], body["revoked_at"]) == (
        "大屏 dashboard",
        "viewer",
        OWN_REGION,
        None,
    )
    key = body["key"]
    assert key.startswith("itk_") and len(key) > 40
    assert r.headers["location"] == f"/api/v1/api-keys/{body['id']}"

    stored = await key_row(clean_db, body["id"])
    assert stored is not None
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()  # only a digest is kept
    assert key not in stored.key_hash
    assert stored.created_by_id == admin.user_id
    assert (stored.role, stored.region_code, stored.revoked_at) == (Role.viewer, OWN_REGION, None)

    listed = await client.get(KEYS_URL, headers=admin.headers)
    assert listed.status_code == 200, listed.text
    assert set(listed.json()) == {"items", "next_cursor"}
    [item] = listed.json()["items"]
    assert "key" not in item and "key_hash" not in item
    assert key not in listed.text
    assert {k: item[k] for k in KEY_FIELDS} == {k: body[k] for k in KEY_FIELDS}

    one = await client.get(r.headers["location"], headers=admin.headers)
    assert one.status_code == 200, one.text
    assert "key" not in one.json() and key not in one.text
    assert one.json() == item


async def test_two_keys_differ(client: httpx.AsyncClient, admin: Actor) -> None:
    a = await create_key(client, admin)
    b = await create_key(client, admin)
    assert a["id"] != b["id"] and a["key"] != b["key"]


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("name", {"name": "   ", "role": "viewer"}),
        ("name", {"name": "x" * 201, "role": "viewer"}),
        ("name", {"role": "viewer"}),
        ("role", {"name": "k", "role": "owner"}),
        ("role", {"name": "k"}),
        ("region_code", {"name": "k", "role": "viewer", "region_code": "50-02"}),
        ("region_code", {"name": "k", "role": "viewer", "region_code": "1"}),
        ("key", {"name": "k", "role": "viewer", "key": "itk_mine"}),
        ("expires", {"name": "k", "role": "viewer", "expires": "2030-01-01"}),
    ],
)
async def test_create_key_invalid_422(
    client: httpx.AsyncClient, admin: Actor, field: str, body: dict[str, Any]
) -> None:
    assert_problem(await client.post(KEYS_URL, headers=admin.headers, json=body), 422, field)
    assert (await client.get(KEYS_URL, headers=admin.headers)).json()["items"] == []


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_keys_need_admin(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: Role) -> None:
    existing = await create_key(client, admin)
    actor = await make_actor(role, "")
    assert_problem(await client.post(KEYS_URL, headers=actor.headers, json={"name": "k", "role": "viewer"}), 403)
    assert_problem(await client.get(KEYS_URL, headers=actor.headers), 403)
    assert_problem(await client.delete(f"{KEYS_URL}/{existing['id']}", headers=actor.headers), 403)
    assert (await client.get(INSTITUTIONS_URL, headers=bearer(existing["key"]))).status_code == 200
    assert len((await client.get(KEYS_URL, headers=admin.headers)).json()["items"]) == 1


@pytest.mark.parametrize("region", [OTHER_REGION, "", "50"])
async def test_regional_admin_cannot_create_wider_key(
    client: httpx.AsyncClient, make_actor: ActorFactory, region: str
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    r = await client.post(
        KEYS_URL, headers=regional.headers, json={"name": "k", "role": "admin", "region_code": region}
    )
    assert_problem(r, 403)
    assert (await client.get(KEYS_URL, headers=regional.headers)).json()["items"] == []


async def test_regional_admin_creates_sub_region_key(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    body = await create_key(client, regional, role="supervisor", region_code="500240001")
    assert body["region_code"] == "500240001"


async def test_key_default_region_is_everything(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(KEYS_URL, headers=admin.headers, json={"name": "national report", "role": "viewer"})
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == ""


# --- using a key ------------------------------------------------------------------------------------------------


async def test_viewer_key_reads_but_cannot_write(client: httpx.AsyncClient, admin: Actor) -> None:
    key = (await create_key(client, admin, role="viewer", region_code=OWN_REGION))["key"]
    assert (await client.get(INSTITUTIONS_URL, headers=bearer(key))).status_code == 200
    assert_problem(await client.post(INSTITUTIONS_URL, headers=bearer(key), json=institution_body(OWN_REGION)), 403)
    assert (await client.get(INSTITUTIONS_URL, headers=admin.headers)).json()["items"] == []
    assert_problem(await client.get(KEYS_URL, headers=bearer(key)), 403)


async def test_key_region_scopes_what_it_sees(client: httpx.AsyncClient, admin: Actor) -> None:
    own = await client.post(INSTITUTIONS_URL, headers=admin.headers, json=institution_body(OWN_REGION))
    other = await client.post(
        INSTITUTIONS_URL, headers=admin.headers, json=institution_body(OTHER_REGION, name="万州区社会福利院")
    )
    assert own.status_code == other.status_code == 201, (own.text, other.text)
    key = bearer((await create_key(client, admin, role="viewer", region_code=OWN_REGION))["key"])

    listed = await client.get(INSTITUTIONS_URL, headers=key)
    assert [i["id"] for i in listed.json()["items"]] == [own.json()["id"]]
    assert (await client.get(f"{INSTITUTIONS_URL}/{own.json()['id']}", headers=key)).status_code == 200
    assert_problem(await client.get(f"{INSTITUTIONS_URL}/{other.json()['id']}", headers=key), 404)
    assert_problem(await client.get(INSTITUTIONS_URL, headers=key, params={"region_code": "50"}), 403)
    assert_problem(await client.get(INSTITUTIONS_URL, headers=key, params={"region_code": OTHER_REGION}), 403)


async def test_supervisor_key_writes_only_in_its_region(client: httpx.AsyncClient, admin: Actor) -> None:
    key = bearer((await create_key(client, admin, role="supervisor", region_code=OWN_REGION))["key"])
    r = await client.post(INSTITUTIONS_URL, headers=key, json=institution_body(OWN_REGION))
    assert r.status_code == 201, r.text
    assert_problem(
        await client.post(INSTITUTIONS_URL, headers=key, json=institution_body(OTHER_REGION, name="万州区社会福利院")),
        403,
    )
    assert_problem(await client.post(KEYS_URL, headers=key, json={"name": "k", "role": "viewer"}), 403)


async def test_admin_key_manages_users_and_keys(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    key = bearer((await create_key(client, admin, role="admin", region_code=OWN_REGION))["key"])
    r = await client.post(USERS_URL, headers=key, json=new_user_body(region_code="500240001"))
    assert r.status_code == 201, r.text
    assert_problem(await client.post(USERS_URL, headers=key, json=new_user_body(region_code="")), 403)
    child = await create_key(client, Actor(admin.user_id, "key", Role.admin, OWN_REGION, key), role="viewer")
    stored = await key_row(clean_db, child["id"])
    assert stored is not None and stored.created_by_id is None  # made by a key, not a user


@pytest.mark.parametrize("tamper", ["last_char", "drop_last", "append", "other_secret", "other_id"])
async def test_tampered_key_401(client: httpx.AsyncClient, admin: Actor, tamper: str) -> None:
    key: str = (await create_key(client, admin, role="admin", region_code=""))["key"]
    other: str = (await create_key(client, admin, role="admin", region_code=""))["key"]
    bad = {
        "last_char": key[:-1] + ("A" if key[-1] != "A" else "B"),
        "drop_last": key[:-1],
        "append": key + "x",
        "other_secret": key[:SECRET_AT] + other[SECRET_AT:],
        "other_id": f"itk_{uuid.uuid4().hex}_{key[SECRET_AT:]}",
    }[tamper]
    assert bad != key
    assert_problem(await client.get(INSTITUTIONS_URL, headers=bearer(bad)), 401)
    assert (await client.get(INSTITUTIONS_URL, headers=bearer(key))).status_code == 200


# --- revoking ---------------------------------------------------------------------------------------------------


async def test_revoke_key_204_then_401(client: httpx.AsyncClient, admin: Actor, clean_db: Database) -> None:
    created = await create_key(client, admin, role="supervisor")
    key = bearer(created["key"])
    assert (await client.get(INSTITUTIONS_URL, headers=key)).status_code == 200

    r = await client.delete(f"{KEYS_URL}/{created['id']}", headers=admin.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(await client.get(INSTITUTIONS_URL, headers=key), 401)

    stored = await key_row(clean_db, created["id"])
    assert stored is not None and stored.revoked_at is not None
    revoked_at = stored.revoked_at
    [item] = (await client.get(KEYS_URL, headers=admin.headers)).json()["items"]
    assert item["id"] == created["id"] and item["revoked_at"] is not None

    again = await client.delete(f"{KEYS_URL}/{created['id']}", headers=admin.headers)
    assert again.status_code == 204  # idempotent
    stored = await key_row(clean_db, created["id"])
    assert stored is not None and stored.revoked_at == revoked_at  # the first revocation stands
    assert_problem(await client.get(INSTITUTIONS_URL, headers=key), 401)


async def test_key_revokes_itself(client: httpx.AsyncClient, admin: Actor) -> None:
    created = await create_key(client, admin, role="admin", region_code="")
    key = bearer(created["key"])
    assert (await client.delete(f"{KEYS_URL}/{created['id']}", headers=key)).status_code == 204
    assert_problem(await client.get(KEYS_URL, headers=key), 401)


async def test_revoking_one_key_leaves_others(client: httpx.AsyncClient, admin: Actor) -> None:
    a = await create_key(client, admin)
    b = await create_key(client, admin)
    assert (await client.delete(f"{KEYS_URL}/{a['id']}", headers=admin.headers)).status_code == 204
    assert_problem(await client.get(INSTITUTIONS_URL, headers=bearer(a["key"])), 401)
    assert (await client.get(INSTITUTIONS_URL, headers=bearer(b["key"]))).status_code == 200


async def test_revoke_unknown_404_not_uuid_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.delete(f"{KEYS_URL}/{uuid.uuid4()}", headers=admin.headers), 404)
    assert_problem(await client.delete(f"{KEYS_URL}/itk_abc", headers=admin.headers), 422, "key_id")


@pytest.mark.parametrize("region", [OTHER_REGION, ""])
async def test_regional_admin_cannot_touch_other_region_key(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database, region: str
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    other = await create_key(client, admin, role="viewer", region_code=region)
    mine = await create_key(client, regional, role="viewer", region_code=OWN_REGION)

    assert_problem(await client.delete(f"{KEYS_URL}/{other['id']}", headers=regional.headers), 404)
    stored = await key_row(clean_db, other["id"])
    assert stored is not None and stored.revoked_at is None
    assert (await client.get(INSTITUTIONS_URL, headers=bearer(other["key"]))).status_code == 200
    assert_problem(await client.get(f"{KEYS_URL}/{other['id']}", headers=regional.headers), 404)

    listed = await client.get(KEYS_URL, headers=regional.headers)
    assert [k["id"] for k in listed.json()["items"]] == [mine["id"]]
    assert (await client.delete(f"{KEYS_URL}/{mine['id']}", headers=regional.headers)).status_code == 204


# --- listing ------------------------------------------------------------------------------------------------------


async def test_list_keys_pages_even_with_equal_timestamps(client: httpx.AsyncClient, admin: Actor) -> None:
    with frozen_clock(datetime.now(UTC)):  # every key gets the same created_at: the id breaks the tie
        ids = {(await create_key(client, admin, name=f"key {i}"))["id"] for i in range(4)}
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(ids) + 1):
        params: dict[str, str | int] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = await client.get(KEYS_URL, headers=admin.headers, params=params)
        assert r.status_code == 200, r.text
        seen += [k["id"] for k in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    full = await client.get(KEYS_URL, headers=admin.headers)
    assert [k["id"] for k in full.json()["items"]] == seen  # pages concatenate to the full, stable order


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": -1}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "WyJ4IiwieSJd"}, "cursor"),  # ["x","y"]: right shape, wrong types
    ],
)
async def test_list_keys_bad_query_422(
    client: httpx.AsyncClient, admin: Actor, params: dict[str, Any], field: str
) -> None:
    assert_problem(await client.get(KEYS_URL, headers=admin.headers, params=params), 422, field)
