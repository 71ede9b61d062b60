"""Security headers on every response: success, errors (401/404/405/413/422/500), the docs with their own
CSP, a route's own Cache-Control kept, HSTS only when the deployment is HTTPS-only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response

from app.core.config import Settings
from app.core.headers import API_CSP
from app.db.session import Database
from app.main import create_app
from tests.conftest import Actor

BASELINE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def assert_secured(r: httpx.Response, *, api: bool = True, docs: bool = False) -> None:
    for name, value in BASELINE.items():
        assert r.headers.get_list(name) == [value], (name, r.headers)
    csp = r.headers.get_list("content-security-policy")
    assert len(csp) == 1
    if docs:
        assert "script-src 'self'" in csp[0] and "frame-ancestors 'none'" in csp[0]
        assert "http" not in csp[0] and "'unsafe-inline'" not in csp[0]
    else:
        assert csp[0] == API_CSP == "default-src 'none'; frame-ancestors 'none'"
    if api:
        assert r.headers.get_list("cache-control") == ["no-store"]
    assert "strict-transport-security" not in r.headers


@pytest.fixture
def app_client(settings: Settings, clean_db: Database) -> AppClient:
    """A client on another app built on the fixture database with some settings changed (and extra routes)."""

    @asynccontextmanager
    async def make(
        setup: Callable[[FastAPI], None] | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        application = create_app(settings.model_copy(update=overrides))
        if setup is not None:
            setup(application)
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                yield c
        finally:
            await application.state.db.dispose()

    return make


async def test_ok_answers_are_secured(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get("/api/v1/users/me", headers=admin.headers)
    assert r.status_code == 200
    assert_secured(r)
    r = await client.get("/api/v1/api-keys", headers=admin.headers)
    assert r.status_code == 200
    assert_secured(r)
    r = await client.get("/api/v1/institutions", headers=admin.headers)
    assert r.status_code == 200
    assert_secured(r, api=False)  # a conditional read (app.auth.conditional) may be kept, revalidated by its ETag
    assert r.headers.get_list("cache-control") == ["private, no-cache"]
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert_secured(r, api=False)  # operational answers are not under /api/v1: no Cache-Control forced


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/users/me", {}, 401),
        ("GET", "/api/v1/no-such-thing", {}, 404),
        ("PUT", "/api/v1/institutions", {}, 405),
        ("POST", "/api/v1/institutions", {"json": {"name": ""}}, 422),
        ("POST", "/api/v1/institutions", {"content": b"{bad", "headers": {"content-type": "application/json"}}, 422),
        ("POST", "/api/v1/auth/token", {"data": {"username": "x"}}, 422),
    ],
)
async def test_error_answers_are_secured(
    client: httpx.AsyncClient, admin: Actor, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    headers = {**kwargs.pop("headers", {}), **(admin.headers if status != 401 else {})}
    r = await client.request(method, path, headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert_secured(r)


async def test_root_404_is_secured_without_cache_control(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert_secured(r, api=False)


async def test_route_cache_control_is_kept_not_doubled(client: httpx.AsyncClient, app_client: AppClient) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong password"})
    assert r.status_code == 401
    assert_secured(r)  # the token route sets no-store itself (RFC 6749): exactly one header

    def add_route(application: FastAPI) -> None:
        @application.get("/api/v1/cacheable")
        async def cacheable(response: Response) -> dict[str, str]:
            response.headers["Cache-Control"] = "private, max-age=60"
            return {"ok": "yes"}

    async with app_client(add_route) as c:
        r = await c.get("/api/v1/cacheable")
    assert r.status_code == 200
    assert r.headers.get_list("cache-control") == ["private, max-age=60"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_docs_send_their_own_csp_of_self_only(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert_secured(r, api=False, docs=True)
    r = await client.get("/docs")
    assert "connect-src 'self'" in r.headers["content-security-policy"]  # it fetches /openapi.json from here
    r = await client.get("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js")
    assert r.status_code == 200
    assert_secured(r, api=False)  # an asset, not a page: the strict CSP
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    assert_secured(r, api=False)  # JSON, not a page: the strict CSP


async def test_body_limit_413_is_secured(app_client: AppClient, admin: Actor) -> None:
    async with app_client(MAX_BODY_BYTES=64) as c:
        r = await c.post(
            "/api/v1/institutions",
            content=b"{" + b" " * 100 + b"}",
            headers={**admin.headers, "content-type": "application/json"},
        )
    assert r.status_code == 413
    assert_secured(r)


async def test_unexpected_500_is_secured(app_client: AppClient) -> None:
    def add_route(application: FastAPI) -> None:
        @application.get("/api/v1/boom")
        async def boom() -> None:
            raise RuntimeError("boom")

    async with app_client(add_route) as c:
        r = await c.get("/api/v1/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert_secured(r)
    assert r.headers["x-request-id"] == "boom-1"


async def test_hsts_only_when_https_only(app_client: AppClient, client: httpx.AsyncClient) -> None:
    assert "strict-transport-security" not in (await client.get("/healthz")).headers
    async with app_client(HTTPS_ONLY=True) as c:
        for path in ("/healthz", "/api/v1/users/me", "/docs"):
            r = await c.get(path)
            assert r.headers.get_list("strict-transport-security") == ["max-age=31536000"], path
