"""CORS: closed by default (no CORS header at all); `CORS_ORIGINS` opens it for exactly those origins, with the
request headers the API needs and the response headers clients read; other origins get nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.db.session import Database
from app.main import create_app
from tests.conftest import TEST_SECRET, Actor

DASHBOARD = "https://dashboard.example.gov.cn"
LOCAL_DEV = "http://localhost:5173"
EVIL = "https://evil.example.com"
URL = "/api/v1/institutions"


def cors_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def preflight_headers(
    origin: str, method: str = "POST", headers: str = "authorization, content-type"
) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


@pytest.fixture
async def cors_client(settings: Settings, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the fixture database with CORS open to two origins."""
    application = create_app(settings.model_copy(update={"CORS_ORIGINS": f"{DASHBOARD}, {LOCAL_DEV}"}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as c:
            yield c
    finally:
        await application.state.db.dispose()


# --- closed by default --------------------------------------------------------------------------------------------


async def test_no_cors_headers_by_default(client: httpx.AsyncClient, admin: Actor, settings: Settings) -> None:
    assert settings.CORS_ORIGINS == "" and settings.cors_origins == []
    for origin in (DASHBOARD, EVIL):
        r = await client.get(URL, headers={**admin.headers, "Origin": origin})
        assert r.status_code == 200
        assert cors_headers(r) == {}
        assert "origin" not in r.headers.get("vary", "").lower()


async def test_preflight_is_not_answered_by_default(client: httpx.AsyncClient) -> None:
    r = await client.options(URL, headers=preflight_headers(DASHBOARD))
    assert r.status_code == 405  # no route answers OPTIONS: the browser refuses the cross-origin call
    assert r.headers["content-type"].startswith("application/problem+json")
    assert cors_headers(r) == {}


# --- open for configured origins ---------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [DASHBOARD, LOCAL_DEV])
async def test_preflight_for_a_configured_origin(cors_client: httpx.AsyncClient, origin: str) -> None:
    r = await cors_client.options(
        URL, headers=preflight_headers(origin, "PATCH", "authorization, content-type, if-match, x-request-id")
    )
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == origin
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "x-request-id"} <= allowed
    assert "access-control-allow-credentials" not in r.headers  # bearer tokens, never cookies
    assert "origin" in r.headers["vary"].lower()
    assert r.headers["x-content-type-options"] == "nosniff"  # the preflight answer is secured too


async def test_simple_request_from_a_configured_origin(cors_client: httpx.AsyncClient, admin: Actor) -> None:
    r = await cors_client.post(
        URL,
        headers={**admin.headers, "Origin": DASHBOARD},
        json={"name": "石柱县敬老院", "kind": "elderly_care", "region_code": "500240"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["access-control-allow-origin"] == DASHBOARD
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location", "x-request-id"} <= exposed
    assert "origin" in r.headers["vary"].lower()
    r = await cors_client.get(URL, headers={**admin.headers, "Origin": LOCAL_DEV})
    assert r.headers["access-control-allow-origin"] == LOCAL_DEV


async def test_errors_carry_cors_headers_for_a_configured_origin(cors_client: httpx.AsyncClient) -> None:
    # so the dashboard can read the problem body of a 401
    r = await cors_client.get(URL, headers={"Origin": DASHBOARD})
    assert r.status_code == 401
    assert r.headers["access-control-allow-origin"] == DASHBOARD


async def test_other_origins_get_no_access(cors_client: httpx.AsyncClient, admin: Actor) -> None:
    r = await cors_client.get(URL, headers={**admin.headers, "Origin": EVIL})
    assert r.status_code == 200  # the server answers; the browser hides it from the page
    assert "access-control-allow-origin" not in r.headers
    for origin in (EVIL, DASHBOARD + ".evil.com", "http://dashboard.example.gov.cn", "null"):
        r = await cors_client.options(URL, headers=preflight_headers(origin))
        assert r.status_code == 403, origin
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "origin" in r.json()["detail"]
        assert "access-control-allow-origin" not in r.headers


async def test_preflight_for_an_unlisted_header_or_method_is_refused(cors_client: httpx.AsyncClient) -> None:
    r = await cors_client.options(URL, headers=preflight_headers(DASHBOARD, headers="x-custom-secret"))
    assert r.status_code == 403
    assert "headers" in r.json()["detail"]
    r = await cors_client.options(URL, headers=preflight_headers(DASHBOARD, method="PUT"))
    assert r.status_code == 403
    assert "method" in r.json()["detail"]


# --- the setting ---------------------------------------------------------------------------------------------------


def test_cors_origins_setting_is_parsed() -> None:
    s = Settings(SECRET_KEY=TEST_SECRET, CORS_ORIGINS=f" {DASHBOARD} ,{LOCAL_DEV},, ", _env_file=None)
    assert s.cors_origins == [DASHBOARD, LOCAL_DEV]
    assert Settings(SECRET_KEY=TEST_SECRET, _env_file=None).cors_origins == []


@pytest.mark.parametrize(
    "bad",
    [
        DASHBOARD + "/",
        DASHBOARD + "/app",
        "dashboard.example.gov.cn",
        "ftp://files.example",
        "https://",
        f"{DASHBOARD} {LOCAL_DEV}",
    ],
)
def test_cors_origins_must_be_origins(bad: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(SECRET_KEY=TEST_SECRET, CORS_ORIGINS=bad, _env_file=None)
