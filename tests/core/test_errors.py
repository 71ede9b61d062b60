"""Every error of API.md's table leaves the service as application/problem+json, with no traceback in the body
and no exception logged for bad input; the body size limit holds for declared and streamed bodies."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.auth.models import Role
from app.core.config import Settings
from app.db.session import Database
from app.main import create_app
from tests.conftest import TEST_SECRET, Actor, ActorFactory
from tests.institutions.helpers import CREDIT_A, URL, assert_problem, body, create

MIB = 1024 * 1024
JSON = {"content-type": "application/json"}


@pytest.fixture
def no_exceptions_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Bad input is the client's problem: nothing may be logged with a traceback, nor at ERROR level."""
    caplog.set_level(logging.INFO)
    yield
    records = caplog.get_records("call")  # in teardown, `caplog.records` would be the teardown's own
    assert any(r.name == "app.access" for r in records), "the log capture saw no request at all"
    bad = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


def _headers(actor: Actor) -> dict[str, str]:
    return {**actor.headers, **JSON}


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize(
    "raw",
    [
        b"{bad",
        b'{"name": "x",}',
        b'{"name": "x"',
        b"{'name': 'x'}",
        b"[1, 2",
        b"\x00\x01",
        b"NaN",
        b"null",
        b"",
    ],
    ids=["bad", "trailing-comma", "truncated", "single-quotes", "truncated-array", "binary", "nan", "null", "empty"],
)
async def test_malformed_json_is_422_never_400(client: httpx.AsyncClient, admin: Actor, raw: bytes) -> None:
    r = await client.post(URL, content=raw, headers=_headers(admin))
    problem = assert_problem(r, 422)
    assert problem["errors"] and problem["errors"][0]["loc"][0] == "body"
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\xff\xfe", "kind": "funeral", "region_code": "500240"}',
        '{"name": "殡仪馆", "kind": "funeral", "region_code": "500240"}'.encode("gbk"),
    ],
    ids=["latin", "gbk"],
)
async def test_non_utf8_body_is_422(client: httpx.AsyncClient, admin: Actor, raw: bytes) -> None:
    r = await client.post(URL, content=raw, headers=_headers(admin))
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["loc"][0] == "body"
    assert "UTF-8" in problem["detail"]


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize("name", [b'"\\ud800"', b'"\xed\xa0\x80"'], ids=["escaped", "encoded"])
async def test_lone_surrogate_is_422(client: httpx.AsyncClient, admin: Actor, name: bytes) -> None:
    # The JSON decoder lets a lone surrogate through; no database can store it, so it must stop at validation.
    raw = b'{"name": ' + name + b', "kind": "funeral", "region_code": "500240"}'
    r = await client.post(URL, content=raw, headers=_headers(admin))
    assert_problem(r, 422, "name")


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_body_that_is_not_declared_json_is_422(
    client: httpx.AsyncClient, admin: Actor, content_type: str | None
) -> None:
    headers = {**admin.headers, **({"content-type": content_type} if content_type else {})}
    r = await client.post(URL, content=json.dumps(body()).encode(), headers=headers)
    assert_problem(r, 422)
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


@pytest.mark.usefixtures("no_exceptions_logged")
async def test_wrong_type_and_unknown_field_are_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.post(URL, json=body(beds="many"), headers=admin.headers), 422, "beds")
    assert_problem(await client.post(URL, json=body(kind=["funeral"]), headers=admin.headers), 422, "kind")
    problem = assert_problem(await client.post(URL, json=body(colour="red"), headers=admin.headers), 422, "colour")
    assert "unknown field" in problem["detail"]


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nothing-here"),
        ("GET", "/nothing-here"),
        ("POST", "/api/v1/institutions/x/y"),
        ("GET", "/api/v2/institutions"),
    ],
)
async def test_unknown_route_is_404(client: httpx.AsyncClient, admin: Actor, method: str, path: str) -> None:
    r = await client.request(method, path, headers=admin.headers)
    problem = assert_problem(r, 404)
    assert path in problem["detail"]


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", URL, {"GET", "POST"}),
        ("PUT", URL, {"GET", "POST"}),
        ("PUT", f"{URL}/59e3c243-6334-408b-9bf7-f02189da96d0", {"GET", "PATCH"}),
        ("DELETE", f"{URL}/fc55c72a-6b4f-4198-8fbb-90f715906c71", {"GET", "PATCH"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
async def test_wrong_method_is_405(
    client: httpx.AsyncClient, admin: Actor, method: str, path: str, allowed: set[str]
) -> None:
    r = await client.request(method, path, headers=admin.headers)
    problem = assert_problem(r, 405)
    assert method in problem["detail"]
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Token abc"}])
async def test_missing_or_bad_credentials_is_401_with_challenge(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for r in (await client.get(URL, headers=headers), await client.post(URL, json=body(), headers=headers)):
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.usefixtures("no_exceptions_logged")
async def test_forbidden_not_found_conflict(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    viewer = await make_actor(Role.viewer)
    assert_problem(await client.post(URL, json=body(), headers=viewer.headers), 403)
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=admin.headers), 404)
    await create(client, admin.headers, credit_code=CREDIT_A)
    assert_problem(await client.post(URL, json=body(credit_code=CREDIT_A), headers=admin.headers), 409, "credit_code")


@dataclass
class Stream:
    """A request body produced chunk by chunk (no Content-Length: httpx sends it chunked)."""

    chunk: bytes
    count: int
    sent: int = 0

    async def __call__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.sent += 1
            yield self.chunk


@pytest.mark.usefixtures("no_exceptions_logged")
async def test_declared_body_over_limit_is_413_before_reading(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(URL, content=b" " * (20 * MIB), headers=_headers(admin))
    problem = assert_problem(r, 413)
    assert str(10 * MIB) in problem["detail"]
    # The same declared length with a lazy body: refused without pulling a single chunk.
    stream = Stream(b" " * MIB, 20)
    r = await client.post(URL, content=stream(), headers={**_headers(admin), "content-length": str(20 * MIB)})
    assert_problem(r, 413)
    assert stream.sent == 0


@pytest.mark.usefixtures("no_exceptions_logged")
@pytest.mark.parametrize("path", [URL, f"{URL}/2c7e9b4a-1f3d-4e8c-b6a0-5d2f8c1e7a39"])
async def test_streamed_body_over_limit_is_413(client: httpx.AsyncClient, admin: Actor, path: str) -> None:
    stream = Stream(b" " * MIB, 20)
    method = "PATCH" if path.startswith(f"{URL}/") else "POST"
    r = await client.request(method, path, content=stream(), headers=_headers(admin))
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    problem = assert_problem(r, 413)
    assert "MAX_BODY_BYTES" in problem["detail"]
    assert stream.sent <= 11, "the body was read on past the limit"


@pytest.mark.usefixtures("no_exceptions_logged")
async def test_streamed_body_under_limit_is_accepted(client: httpx.AsyncClient, admin: Actor) -> None:
    raw = json.dumps(body(name="分块上传的敬老院")).encode()
    stream = Stream(raw, 1)
    r = await client.post(URL, content=stream(), headers=_headers(admin))
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "分块上传的敬老院"


@pytest.fixture
async def small_limit_client(settings: Settings, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database (inside the test's transaction: made after `clean_db`), with
    MAX_BODY_BYTES = 512."""
    small = Settings(
        DATABASE_URL=settings.DATABASE_URL,
        DATA_DIR=settings.DATA_DIR,
        SECRET_KEY=TEST_SECRET,
        MAX_BODY_BYTES=512,
        _env_file=None,
    )
    application = create_app(small)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as c:
            yield c
    finally:
        await application.state.db.dispose()


def _padded(size: int, **overrides: object) -> bytes:
    """A valid create body of exactly `size` bytes (JSON allows trailing whitespace)."""
    raw = json.dumps(body(**overrides), ensure_ascii=False).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


@pytest.mark.usefixtures("no_exceptions_logged")
async def test_configured_limit_is_honoured(
    small_limit_client: httpx.AsyncClient, client: httpx.AsyncClient, admin: Actor
) -> None:
    headers = _headers(admin)
    r = await small_limit_client.post(URL, content=_padded(512, name="刚好"), headers=headers)
    assert r.status_code == 201, r.text
    problem = assert_problem(await small_limit_client.post(URL, content=_padded(513), headers=headers), 413)
    assert "512" in problem["detail"]
    r = await small_limit_client.post(URL, content=Stream(_padded(300), 2)(), headers=headers)
    assert_problem(r, 413)
    r = await small_limit_client.post(URL, content=Stream(_padded(512, name="分块刚好"), 1)(), headers=headers)
    assert r.status_code == 201, r.text
    # A form body (the token endpoint) streamed past the limit, in fields small enough for the form parser.
    form = Stream(b"username=" + b"u" * 291 + b"&", 2)
    r = await small_limit_client.post(
        "/api/v1/auth/token", content=form(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_problem(r, 413)
    # The default app on the same database still takes the 513-byte body.
    r = await client.post(URL, content=_padded(513, name="大一点"), headers=headers)
    assert r.status_code == 201, r.text
    names = {i["name"] for i in (await client.get(URL, headers=admin.headers)).json()["items"]}
    assert names == {"刚好", "分块刚好", "大一点"}


async def test_unexpected_error_is_500_problem_without_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    application: FastAPI = create_app(settings)

    @application.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            r = await c.get("/boom")
    finally:
        await application.state.db.dispose()
    assert_problem(r, 500)
    assert "hunter2" not in r.text
    assert "RuntimeError" not in r.text
    # ... but the server log has it, with the traceback.
    logged = [rec for rec in caplog.records if rec.exc_info and rec.name == "app.errors"]
    assert logged and "boom" in logged[0].getMessage()
