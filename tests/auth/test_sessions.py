"""Ending sessions: a password change, a disable and revoke-sessions (admin, or "sign out everywhere" for
oneself) end every token issued before them; tokens issued after work; re-enabling revives nothing
(issue 13, item 6)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from app.auth import service
from app.auth.models import Role
from app.core.clock import frozen_clock
from app.core.security import create_access_token
from app.db.session import Database
from tests.auth.helpers import KEYS_URL, ME_URL, USERS_URL, assert_problem, bearer, token_for, user_row
from tests.conftest import OTHER_REGION, OWN_REGION, TEST_PASSWORD, TEST_SECRET, Actor, ActorFactory

ME_REVOKE_URL = f"{USERS_URL}/me/revoke-sessions"
NEW_PASSWORD = "a brand new secret"


def revoke_url(user_id: uuid.UUID | str) -> str:
    return f"{USERS_URL}/{user_id}/revoke-sessions"


async def _works(client: httpx.AsyncClient, token_or_headers: str | dict[str, str]) -> bool:
    headers = bearer(token_or_headers) if isinstance(token_or_headers, str) else token_or_headers
    r = await client.get(ME_URL, headers=headers)
    if r.status_code == 401:
        assert_problem(r, 401)
        return False
    assert r.status_code == 200, r.text
    return True


# --- what ends a session -----------------------------------------------------------------------------------------


async def test_password_change_ends_old_tokens(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database
) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    logged_in = await token_for(client, target.username, TEST_PASSWORD)
    assert await _works(client, target.headers) and await _works(client, logged_in)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={"password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert not await _works(client, target.headers)
    assert not await _works(client, logged_in)
    fresh = await token_for(client, target.username, NEW_PASSWORD)
    assert await _works(client, fresh)
    assert await _works(client, admin.headers)  # the admin's own token is untouched
    stored = await user_row(clean_db, target.user_id)
    assert stored is not None and stored.sessions_valid_after is not None


async def test_other_changes_keep_sessions(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    target = await make_actor(Role.inspector, OWN_REGION)
    for change in ({"role": "viewer"}, {"region_code": "500240001"}, {"is_active": True}, {}):
        r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json=change)
        assert r.status_code == 200, r.text
        assert await _works(client, target.headers), change


async def test_disable_ends_tokens_and_enable_revives_none(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    target = await make_actor(Role.supervisor, OWN_REGION)
    old = await token_for(client, target.username, TEST_PASSWORD)
    url = f"{USERS_URL}/{target.user_id}"
    assert (await client.patch(url, headers=admin.headers, json={"is_active": False})).status_code == 200
    assert not await _works(client, old)
    assert (await client.patch(url, headers=admin.headers, json={"is_active": True})).status_code == 200
    assert not await _works(client, old)
    assert not await _works(client, target.headers)
    assert await _works(client, await token_for(client, target.username, TEST_PASSWORD))


async def test_admin_revokes_a_users_sessions(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    target = await make_actor(Role.viewer, "500240001")
    other = await make_actor(Role.viewer, OWN_REGION)
    old = await token_for(client, target.username, TEST_PASSWORD)
    r = await client.post(revoke_url(target.user_id), headers=regional.headers)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert not await _works(client, old) and not await _works(client, target.headers)
    assert await _works(client, other.headers) and await _works(client, regional.headers)
    assert await _works(client, await token_for(client, target.username, TEST_PASSWORD))
    stored = await user_row(clean_db, target.user_id)
    assert stored is not None and stored.sessions_valid_after is not None and stored.is_active is True
    # idempotent: again is 204 and ends the token issued in between
    between = await token_for(client, target.username, TEST_PASSWORD)
    assert (await client.post(revoke_url(target.user_id), headers=regional.headers)).status_code == 204
    assert not await _works(client, between)


async def test_sign_out_everywhere(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    me = await make_actor(Role.inspector, OWN_REGION)
    bystander = await make_actor(Role.inspector, OWN_REGION)
    phone = await token_for(client, me.username, TEST_PASSWORD)
    laptop = await token_for(client, me.username, TEST_PASSWORD)
    r = await client.post(ME_REVOKE_URL, headers=bearer(laptop))
    assert r.status_code == 204, r.text
    assert not await _works(client, phone) and not await _works(client, laptop)
    assert not await _works(client, me.headers)
    assert await _works(client, bystander.headers)
    assert await _works(client, await token_for(client, me.username, TEST_PASSWORD))


async def test_token_issued_a_moment_after_works(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    """Microseconds count: within one second, a token issued before the revocation is refused and one issued
    after it works (the `iat` claim alone, in whole seconds, could not tell them apart)."""
    actor = await make_actor(Role.viewer, OWN_REGION)
    t0 = datetime.now(UTC).replace(microsecond=100_000)
    with frozen_clock(t0):
        before = await token_for(client, actor.username, TEST_PASSWORD)
    with frozen_clock(t0 + timedelta(microseconds=400_000)):
        assert (await client.post(ME_REVOKE_URL, headers=bearer(before))).status_code == 204
    with frozen_clock(t0 + timedelta(microseconds=400_001)):
        after = await token_for(client, actor.username, TEST_PASSWORD)
    with frozen_clock(t0 + timedelta(microseconds=500_000)):
        assert not await _works(client, before)
        assert await _works(client, after)
    claims = [jwt.decode(t, options={"verify_signature": False}) for t in (before, after)]
    assert claims[0]["iat"] == claims[1]["iat"]
    assert claims[1]["iat_us"] - claims[0]["iat_us"] == 400_001


async def test_token_without_iat_us_counts_from_its_iat_second(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    now = datetime.now(UTC)
    legacy = jwt.encode(
        {"sub": str(actor.user_id), "iat": int(now.timestamp()) - 5, "exp": int(now.timestamp()) + 600},
        TEST_SECRET,
        algorithm="HS256",
    )
    assert await _works(client, legacy)
    assert (await client.post(ME_REVOKE_URL, headers=actor.headers)).status_code == 204
    assert not await _works(client, legacy)
    bad = create_access_token(actor.user_id, TEST_SECRET, timedelta(minutes=5)).split(".")
    tampered = jwt.encode(
        {**jwt.decode(".".join(bad), options={"verify_signature": False}), "iat_us": "soon"},
        TEST_SECRET,
        algorithm="HS256",
    )
    assert not await _works(client, tampered)


@pytest.mark.real_commits
async def test_password_change_during_a_login_ends_its_token(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login that read the user before a password change committed (its argon2 check still running) gets a
    token that is already refused: it counts as issued when the user row was read."""
    target = await make_actor(Role.viewer, OWN_REGION)
    started, gate = threading.Event(), threading.Event()

    def held_verify(password: str, password_hash: str | None) -> bool:
        started.set()
        if not gate.wait(timeout=10):
            raise TimeoutError("gate never opened")
        return password == TEST_PASSWORD

    monkeypatch.setattr(service, "verify_password", held_verify)
    pending = asyncio.create_task(token_for(client, target.username, TEST_PASSWORD))
    assert await asyncio.to_thread(started.wait, 10)
    r = await client.patch(f"{USERS_URL}/{target.user_id}", headers=admin.headers, json={"password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    gate.set()
    token = await pending
    assert not await _works(client, token)


# --- POST /users/{user_id}/revoke-sessions: who may --------------------------------------------------------------


async def test_revoke_without_credentials_401(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    target = await make_actor(Role.viewer, OWN_REGION)
    assert_problem(await client.post(revoke_url(target.user_id)), 401)
    assert_problem(await client.post(ME_REVOKE_URL), 401)
    assert await _works(client, target.headers)


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_revoke_others_needs_admin_403(client: httpx.AsyncClient, make_actor: ActorFactory, role: Role) -> None:
    caller = await make_actor(role, "")
    target = await make_actor(Role.viewer, OWN_REGION)
    assert_problem(await client.post(revoke_url(target.user_id), headers=caller.headers), 403)
    assert await _works(client, target.headers) and await _works(client, caller.headers)


@pytest.mark.parametrize("region", [OTHER_REGION, "", "50"])
async def test_revoke_outside_the_admins_region_404(
    client: httpx.AsyncClient, make_actor: ActorFactory, region: str
) -> None:
    regional = await make_actor(Role.admin, OWN_REGION)
    outside = await make_actor(Role.viewer, region)
    assert_problem(await client.post(revoke_url(outside.user_id), headers=regional.headers), 404)
    assert await _works(client, outside.headers)


async def test_revoke_unknown_404_and_not_uuid_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.post(revoke_url(uuid.uuid4()), headers=admin.headers), 404)
    assert_problem(await client.post(revoke_url("not-a-uuid"), headers=admin.headers), 422, "user_id")


async def test_sign_out_everywhere_with_an_api_key_404(client: httpx.AsyncClient, admin: Actor) -> None:
    created = await client.post(KEYS_URL, headers=admin.headers, json={"name": "大屏", "role": "admin"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    body = assert_problem(await client.post(ME_REVOKE_URL, headers=bearer(key)), 404)
    assert "API key" in body["detail"]
    assert (await client.get(USERS_URL, headers=bearer(key))).status_code == 200  # the key still works
    assert await _works(client, admin.headers)


async def test_revoke_sessions_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    mine = paths["/api/v1/users/me/revoke-sessions"]["post"]["responses"]
    theirs = paths["/api/v1/users/{user_id}/revoke-sessions"]["post"]["responses"]
    assert {"204", "401", "404"} <= set(mine)
    assert {"204", "401", "403", "404", "422"} <= set(theirs)
