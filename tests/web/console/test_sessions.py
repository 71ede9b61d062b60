"""Console sign-in, sign-out, session cookies and CSRF (server side, both databases)."""

from __future__ import annotations

import re

import httpx
from fastapi import Response

from app.core.config import Settings
from app.web.console import sessions
from tests.conftest import TEST_PASSWORD, ActorFactory

ORIGIN = "http://test"  # the test client's base URL
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


async def login_form(client: httpx.AsyncClient) -> str:
    """GET the sign-in page (which sets the pre-session cookie) and return its CSRF token."""
    r = await client.get("/console/login")
    assert r.status_code == 200
    match = TOKEN.search(r.text)
    assert match is not None
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = TEST_PASSWORD, origin: str = ORIGIN, next_url: str = ""
) -> httpx.Response:
    token = await login_form(client)
    form = {"username": username, "password": password, "csrf_token": token, **({"next": next_url} if next_url else {})}
    return await client.post("/console/login", data=form, headers={"Origin": origin})


async def page_token(client: httpx.AsyncClient) -> str:
    r = await client.get("/console/")
    assert r.status_code == 200, r.text
    match = TOKEN.search(r.text)
    assert match is not None
    return match.group(1)


async def test_root_and_pages_without_a_session_redirect_to_sign_in(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/console/")
    r = await client.get("/console/?year=2023")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2F%3Fyear%3D2023"


async def test_sign_in_page_labels_csp_and_pre_session_cookie(client: httpx.AsyncClient) -> None:
    r = await client.get("/console/login")
    assert r.status_code == 200
    assert '<label for="username">用户名</label>' in r.text and 'id="username"' in r.text
    assert '<label for="password">密码</label>' in r.text and 'id="password" name="password" type="password"' in r.text
    assert '<button type="submit">登录</button>' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "form-action 'self'" in csp
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(sessions.PRE_SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie


async def test_sign_in_sets_a_strict_http_only_cookie_and_goes_to_next(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    user = await make_actor("viewer", "500240")
    r = await sign_in(client, user.username, next_url="/console/?year=2023")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/console/?year=2023"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # HTTPS_ONLY is off in the tests
    r = await client.get("/console/?year=2023")
    assert r.status_code == 200
    assert user.username in r.text and "退出" in r.text


async def test_next_outside_the_console_is_ignored(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", "500240")
    r = await sign_in(client, user.username, next_url="//evil.example/console/")
    assert (r.status_code, r.headers["location"]) == (303, "/console/")


async def test_cookie_is_secure_when_https_only(settings: Settings) -> None:
    response = Response()
    sessions.set_session(response, "token", settings.model_copy(update={"HTTPS_ONLY": True}))
    cookie = next(c for c in response.headers.getlist("set-cookie") if c.startswith(sessions.SESSION_COOKIE))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


async def test_wrong_password_shows_the_message_and_stays(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", "500240")
    r = await sign_in(client, user.username, password="wrong password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text and 'action="/console/login"' in r.text
    assert f'name="username" value="{user.username}"' in r.text  # what was typed stays
    assert not any(c.startswith(sessions.SESSION_COOKIE) for c in r.headers.get_list("set-cookie"))
    r = await sign_in(client, "nobody-here")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert (await client.get("/console/")).status_code == 303


async def test_the_api_login_throttle_applies(client: httpx.AsyncClient, settings: Settings) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER):
        r = await sign_in(client, "target-user", password="guess")
        assert r.status_code == 401
    r = await sign_in(client, "target-user", password="guess")
    assert r.status_code == 429 and "登录失败次数过多" in r.text
    r = await client.post("/api/v1/auth/token", data={"username": "target-user", "password": "guess"})
    assert r.status_code == 429  # one count, shared with the API


async def test_cross_origin_sign_in_is_refused(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", "500240")
    for origin in ("http://evil.example", "http://test:8080", "https://test", "null"):
        r = await sign_in(client, user.username, origin=origin)
        assert r.status_code == 403, origin
        assert "请求来源无法确认" in r.text
        assert not any(c.startswith(sessions.SESSION_COOKIE) for c in r.headers.get_list("set-cookie"))
    token = await login_form(client)
    form = {"username": user.username, "password": TEST_PASSWORD, "csrf_token": token}
    r = await client.post("/console/login", data=form)  # neither Origin nor Referer
    assert r.status_code == 403
    r = await client.post("/console/login", data=form, headers={"Referer": "http://test:81/console/login"})
    assert r.status_code == 403
    r = await client.post("/console/login", data={**form, "csrf_token": "0" * 64}, headers={"Origin": ORIGIN})
    assert r.status_code == 403  # right origin, token of no session
    r = await client.post("/console/login", data=form, headers={"Referer": "http://test/console/login"})
    assert r.status_code == 303  # the Referer stands in for a missing Origin


async def test_sign_out_needs_the_token_and_the_origin(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", "500240")
    assert (await sign_in(client, user.username)).status_code == 303
    token = await page_token(client)
    for origin in ("http://evil.example", "http://test:8000"):
        r = await client.post("/console/logout", data={"csrf_token": token}, headers={"Origin": origin})
        assert r.status_code == 403
    r = await client.post("/console/logout", data={"csrf_token": "f" * 64}, headers={"Origin": ORIGIN})
    assert r.status_code == 403
    assert (await client.get("/console/")).status_code == 200  # still signed in
    r = await client.post("/console/logout", data={"csrf_token": token}, headers={"Origin": ORIGIN})
    assert (r.status_code, r.headers["location"]) == (303, "/console/login")
    assert (await client.get("/console/")).status_code == 303


async def test_disabling_a_user_ends_its_console_session_at_once(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", "")
    user = await make_actor("viewer", "500240")
    assert (await sign_in(client, user.username)).status_code == 303
    assert (await client.get("/console/")).status_code == 200
    r = await client.patch(f"/api/v1/users/{user.user_id}", json={"is_active": False}, headers=admin.headers)
    assert r.status_code == 200, r.text
    r = await client.get("/console/")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


async def test_a_forged_cookie_is_no_session(client: httpx.AsyncClient) -> None:
    client.cookies.set(sessions.SESSION_COOKIE, "eyJhbGciOiJIUzI1NiJ9.e30.forged", path="/console")
    assert (await client.get("/console/")).status_code == 303
