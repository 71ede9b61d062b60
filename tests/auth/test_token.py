"""POST /auth/token and Bearer handling: what logs in, what a token proves, and every way it stops working."""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import delete

from app.auth.models import Role, User
from app.core.clock import frozen_clock
from app.core.config import Settings
from app.core.security import create_access_token
from app.db.session import Database
from tests.auth.helpers import (
    KEYS_URL,
    ME_URL,
    TOKEN_URL,
    USERS_URL,
    assert_problem,
    bearer,
    login,
    token_for,
    user_row,
)
from tests.conftest import OWN_REGION, TEST_PASSWORD, TEST_SECRET, Actor, ActorFactory

NIL = "00000000-0000-0000-0000-000000000000"


def _now_ts() -> int:
    return int(datetime.now(UTC).timestamp())


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# --- logging in ---------------------------------------------------------------------------------------------


async def test_login_returns_bearer_token_that_works(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.inspector, OWN_REGION)
    r = await login(client, actor.username, TEST_PASSWORD)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"  # RFC 6749 §5.1: tokens are never cached
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(actor.user_id)
    assert claims["exp"] - claims["iat"] == body["expires_in"]

    me = await client.get(ME_URL, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(actor.user_id)
    assert me.json()["username"] == actor.username
    assert me.json()["role"] == "inspector"
    assert me.json()["region_code"] == OWN_REGION


async def test_login_with_a_chinese_password(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(
        USERS_URL,
        headers=admin.headers,
        json={"username": "zhang.san", "password": "民政执法检查密码", "role": "viewer"},
    )
    assert r.status_code == 201, r.text
    assert (await login(client, "zhang.san", "民政执法检查密码")).status_code == 200
    assert_problem(await login(client, "zhang.san", "民政执法检查"), 401)


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "disabled_user", "disabled_wrong_password"])
async def test_login_refused_with_same_401(client: httpx.AsyncClient, make_actor: ActorFactory, case: str) -> None:
    active = await make_actor(Role.viewer, OWN_REGION)
    disabled = await make_actor(Role.admin, "", is_active=False)
    username, password = {
        "wrong_password": (active.username, TEST_PASSWORD + "x"),
        "unknown_user": ("nobody-here", TEST_PASSWORD),
        "disabled_user": (disabled.username, TEST_PASSWORD),
        "disabled_wrong_password": (disabled.username, TEST_PASSWORD + "x"),
    }[case]
    r = await client.post(TOKEN_URL, data={"username": username, "password": password})
    body = assert_problem(r, 401)
    assert "access_token" not in body
    # The answer must not tell an attacker which part was wrong (or that the account exists).
    assert body["detail"] == "Incorrect username or password"


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({}, ["username", "password"]),
        ({"username": "someone"}, ["password"]),
        ({"password": TEST_PASSWORD}, ["username"]),
        ({"username": "someone", "password": ""}, ["password"]),  # an empty form value counts as missing
    ],
)
async def test_login_missing_form_fields_422(
    client: httpx.AsyncClient, form: dict[str, str], missing: list[str]
) -> None:
    body = assert_problem(await client.post(TOKEN_URL, data=form), 422)
    locs = [e["loc"] for e in body["errors"]]
    for field in missing:
        assert ["body", field] in locs
        assert field in body["detail"]


async def test_login_with_json_instead_of_form_is_422(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    r = await client.post(TOKEN_URL, json={"username": actor.username, "password": TEST_PASSWORD})
    assert_problem(r, 422, "username")


# --- presenting a token ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "bearer-token",
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer itk_",
        "Bearer itk_" + "0" * 32 + "_x",
        "Bearer itk_nothex_secret",
    ],
)
async def test_bad_authorization_header_401(
    client: httpx.AsyncClient, clean_db: Database, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_problem(await client.get(ME_URL, headers=headers), 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ME_URL),
        ("GET", USERS_URL),
        ("POST", USERS_URL),
        ("GET", f"{USERS_URL}/{NIL}"),
        ("PATCH", f"{USERS_URL}/{NIL}"),
        ("POST", KEYS_URL),
        ("GET", KEYS_URL),
        ("DELETE", f"{KEYS_URL}/{NIL}"),
    ],
)
async def test_every_auth_route_needs_credentials_before_anything_else(
    client: httpx.AsyncClient, clean_db: Database, method: str, path: str
) -> None:
    # an invalid body and an unknown id must not leak a 422 or 404 to an anonymous caller
    kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH") else {}
    assert_problem(await client.request(method, path, **kwargs), 401)


async def test_scheme_is_case_insensitive(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    token = actor.headers["Authorization"].removeprefix("Bearer ")
    r = await client.get(ME_URL, headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200, r.text


async def test_token_signed_with_another_secret_401(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.admin, "")
    forged = create_access_token(actor.user_id, "another-secret-key-of-enough-length", timedelta(minutes=5))
    assert_problem(await client.get(ME_URL, headers=bearer(forged)), 401)


async def test_tampered_payload_401(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    viewer = await make_actor(Role.viewer, OWN_REGION)
    admin = await make_actor(Role.admin, "")
    header, _payload, signature = viewer.headers["Authorization"].removeprefix("Bearer ").split(".")
    swapped = f"{header}.{_b64({'sub': str(admin.user_id), 'iat': _now_ts(), 'exp': _now_ts() + 600})}.{signature}"
    assert_problem(await client.get(ME_URL, headers=bearer(swapped)), 401)


@pytest.mark.parametrize(
    "case", ["alg_none", "hs512", "no_exp", "exp_not_number", "no_sub", "sub_not_uuid", "unknown_sub"]
)
async def test_malformed_claims_401(client: httpx.AsyncClient, make_actor: ActorFactory, case: str) -> None:
    actor = await make_actor(Role.admin, "")
    now = _now_ts()
    claims: dict[str, Any] = {"sub": str(actor.user_id), "iat": now, "exp": now + 600}
    if case == "alg_none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    elif case == "hs512":
        with warnings.catch_warnings():  # PyJWT warns that the test secret is short for HS512
            warnings.simplefilter("ignore")
            token = jwt.encode(claims, TEST_SECRET, algorithm="HS512")
    else:
        if case == "no_exp":
            del claims["exp"]
        elif case == "exp_not_number":
            claims["exp"] = "tomorrow"
        elif case == "no_sub":
            del claims["sub"]
        elif case == "sub_not_uuid":
            claims["sub"] = actor.username
        else:
            claims["sub"] = str(uuid.uuid4())
        token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    assert_problem(await client.get(ME_URL, headers=bearer(token)), 401)


async def test_expired_token_401(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.admin, "")
    expired = create_access_token(actor.user_id, TEST_SECRET, timedelta(seconds=-1))
    body = assert_problem(await client.get(ME_URL, headers=bearer(expired)), 401)
    assert "expired" in body["detail"]


async def test_token_expires_on_the_service_clock(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    issued = datetime.now(UTC).replace(microsecond=0)
    with frozen_clock(issued):
        token = await token_for(client, actor.username, TEST_PASSWORD)
    ttl = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    with frozen_clock(issued + ttl - timedelta(seconds=1)):
        assert (await client.get(ME_URL, headers=bearer(token))).status_code == 200
    with frozen_clock(issued + ttl):
        assert_problem(await client.get(ME_URL, headers=bearer(token)), 401)


async def test_token_issued_under_a_past_frozen_clock_works_there(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    # Tests replay history (e.g. the 2023 Shizhu data) with the clock pinned in the past: a token issued
    # and used on that clock is valid, although its `exp` lies before the wall-clock time.
    with frozen_clock(datetime(2023, 5, 4, 10, 0, tzinfo=UTC)):
        actor = await make_actor(Role.inspector, OWN_REGION)
        r = await client.get(ME_URL, headers=actor.headers)
        assert r.status_code == 200, r.text
        token = await token_for(client, actor.username, TEST_PASSWORD)
        assert (await client.get(ME_URL, headers=bearer(token))).status_code == 200
    # back on the wall clock the same token is long expired
    assert_problem(await client.get(ME_URL, headers=bearer(token)), 401)


# --- the user behind the token changes ---------------------------------------------------------------------------


async def test_token_of_user_disabled_after_issue_401(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, clean_db: Database
) -> None:
    actor = await make_actor(Role.supervisor, OWN_REGION)
    assert (await client.get(ME_URL, headers=actor.headers)).status_code == 200
    r = await client.patch(f"{USERS_URL}/{actor.user_id}", headers=admin.headers, json={"is_active": False})
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    assert_problem(await client.get(ME_URL, headers=actor.headers), 401)
    assert_problem(await login(client, actor.username, TEST_PASSWORD), 401)
    stored = await user_row(clean_db, actor.user_id)
    assert stored is not None and stored.is_active is False

    r = await client.patch(f"{USERS_URL}/{actor.user_id}", headers=admin.headers, json={"is_active": True})
    assert r.status_code == 200, r.text
    assert_problem(await client.get(ME_URL, headers=actor.headers), 401)  # re-enabling revives no old token


async def test_token_of_deleted_user_401(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    actor = await make_actor(Role.admin, "")
    async with clean_db.sessionmaker() as s:
        await s.execute(delete(User).where(User.id == actor.user_id))
        await s.commit()
    assert_problem(await client.get(ME_URL, headers=actor.headers), 401)


async def test_admin_disabling_itself_locks_itself_out(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.patch(f"{USERS_URL}/{admin.user_id}", headers=admin.headers, json={"is_active": False})
    assert r.status_code == 200, r.text
    assert_problem(await client.get(USERS_URL, headers=admin.headers), 401)


async def test_role_change_applies_to_existing_token(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    demoted = await make_actor(Role.admin, "")
    assert (await client.get(USERS_URL, headers=demoted.headers)).status_code == 200
    r = await client.patch(f"{USERS_URL}/{demoted.user_id}", headers=admin.headers, json={"role": "viewer"})
    assert r.status_code == 200, r.text
    assert_problem(await client.get(USERS_URL, headers=demoted.headers), 403)
    me = await client.get(ME_URL, headers=demoted.headers)
    assert me.status_code == 200 and me.json()["role"] == "viewer"
