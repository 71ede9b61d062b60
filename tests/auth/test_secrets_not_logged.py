"""No secret reaches the log: passwords (right and wrong), access tokens and API keys stay out of every record,
at every level, on every logger of the service (the app's, uvicorn's, SQLAlchemy's, the drivers')."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.helpers import KEYS_URL, ME_URL, USERS_URL, bearer, login
from tests.conftest import Actor

PASSWORD = "Secr3t-密码-correct-horse"
WRONG_PASSWORD = "Wr0ng-密码-battery-staple"


def _all_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), str(record.exc_text or "")]
    parts += [repr(v) for k, v in vars(record).items() if k not in ("args", "msg", "exc_text")]
    return "\n".join(parts)


async def test_no_password_token_or_key_is_logged(
    app: FastAPI, client: httpx.AsyncClient, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    r = await client.post(
        USERS_URL,
        headers=admin.headers,
        json={"username": "log.test", "password": PASSWORD, "role": "admin", "region_code": ""},
    )
    assert r.status_code == 201, r.text
    # failures up to the lock (the lock itself is logged) and one past it
    for _ in range(5):
        assert (await login(client, "log.test", WRONG_PASSWORD)).status_code == 401
    assert (await login(client, "log.test", WRONG_PASSWORD)).status_code == 429
    await app.state.login_throttle.reset()
    r = await login(client, "log.test", PASSWORD)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 200
    r = await client.post(
        KEYS_URL, headers=bearer(token), json={"name": "dashboard", "role": "viewer", "region_code": ""}
    )
    assert r.status_code == 201, r.text
    key, key_id = r.json()["key"], r.json()["id"]
    key_secret = key.rsplit("_", 1)[1]
    assert (await client.get("/api/v1/institutions", headers=bearer(key))).status_code == 200
    # a secret put in the query string: the access log writes the path only
    r = await client.get("/api/v1/institutions", params={"access_token": token}, headers=bearer(key))
    assert r.status_code == 200
    # a broken token and a revoked key are refused without echoing them
    assert (await client.get(ME_URL, headers=bearer(token[:-4] + "AAAA"))).status_code == 401
    assert (await client.delete(f"{KEYS_URL}/{key_id}", headers=bearer(token))).status_code == 204
    assert (await client.get(ME_URL, headers=bearer(key))).status_code == 401

    # httpx's records are this test's own client writing the URLs it requested, not the service
    records = [rec for rec in caplog.get_records("call") if not rec.name.startswith(("httpx", "httpcore"))]
    access = [rec for rec in records if rec.name == "app.access"]
    assert len(access) >= 12, "the capture saw the requests"
    assert any(rec.name == "app.auth" and "locked" in rec.getMessage() for rec in records)
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "token": token,
        "token signature": token.rsplit(".", 1)[1],
        "API key": key,
        "API key secret": key_secret,
        "admin token": admin.headers["Authorization"].removeprefix("Bearer "),
    }
    for record in records:
        text = _all_text(record)
        for what, secret in secrets.items():
            assert secret not in text, f"{what} logged by {record.name}: {record.getMessage()[:200]}"
    assert not any("?" in rec.getMessage() for rec in access), "query strings are not logged"
