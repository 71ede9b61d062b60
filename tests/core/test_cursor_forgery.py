"""Forged list cursors (issue 13.4): any `cursor` the server did not issue for the list it is used on answers
422 problem+json naming `cursor` — never a 500 — on every list endpoint (found in the OpenAPI document, so a new
list is covered without touching this file) and on both databases. Cursors the server issued still page.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, urlencode

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.ratelimit import SlidingWindowLimiter
from tests import factories
from tests.conftest import OWN_REGION, Actor
from tests.hazards.helpers import new_inspection
from tests.plans.conftest import plan_body
from tests.problems import error_locs, problem_of

API = "/api/v1"
DRAW = {"planned_on": "2023-06-01", "count": 1, "team_size": 2, "max_teams_per_officer": 1}
REQUIRED_QUERY = {f"{API}/public/inspections": {"year": "2023", "region_code": OWN_REGION}}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Lists:
    """Every list endpoint of the app, with real ids in its path, and a second plan to borrow cursors from."""

    headers: dict[str, str]
    urls: list[str]
    plan_id: str
    other_plan_id: str


def _list_paths(app: FastAPI) -> list[str]:
    paths = []
    for path, item in app.openapi()["paths"].items():
        get = item.get("get")
        if get and any(p["name"] == "cursor" and p["in"] == "query" for p in get.get("parameters", [])):
            paths.append(path)
    return sorted(paths)


@pytest.fixture
async def lists(app: FastAPI, client: httpx.AsyncClient, admin: Actor) -> AsyncIterator[Lists]:
    # This test is about cursors, not the public rate limit: hundreds of public requests must not turn into 429s.
    limiter = app.state.public_limiter
    app.state.public_limiter = SlidingWindowLimiter(10**9, 60)
    try:
        yield await _lists(app, client, admin.headers)
    finally:
        app.state.public_limiter = limiter


async def _lists(app: FastAPI, client: httpx.AsyncClient, h: dict[str, str]) -> Lists:
    inspection = await new_inspection(client, h)
    hazard_id = inspection["hazards"][0]["id"]
    officer_id = inspection["officer_ids"][0]
    await factories.institution(client, h)
    plans = []
    for name in ("计划一", "计划二"):
        r = await client.post(f"{API}/plans", json=plan_body(name=name), headers=h)
        assert r.status_code == 201, r.text
        plans.append(r.json()["id"])
    for plan_id in plans:
        for reason in (None, "复核"):
            r = await client.post(f"{API}/plans/{plan_id}/draws", json={**DRAW, "reason": reason}, headers=h)
            assert r.status_code == 201, r.text
    settings = app.state.settings  # a webhook URL must pass the SSRF rules: admit the loopback for its create
    app.state.settings = settings.model_copy(update={"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    try:
        r = await client.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=h)
    finally:
        app.state.settings = settings
    assert r.status_code == 201, r.text
    ids = {"{hazard_id}": hazard_id, "{officer_id}": officer_id, "{plan_id}": plans[0], "{webhook_id}": r.json()["id"]}
    urls = []
    for path in _list_paths(app):
        for name, value in ids.items():
            path = path.replace(name, value)
        assert "{" not in path, f"{path}: give this list's path parameter a real id here"
        urls.append(path)
    assert len(urls) >= 13, urls  # the 13 lists of today
    return Lists(h, urls, plans[0], plans[1])


async def _get(client: httpx.AsyncClient, lists: Lists, url: str, cursor: str | bytes) -> httpx.Response:
    """GET the list with `cursor` sent as is: `bytes` go out percent-encoded byte for byte (invalid UTF-8 too)."""
    raw = cursor if isinstance(cursor, bytes) else cursor.encode("utf-8", "surrogatepass")
    query = "cursor=" + quote_from_bytes(raw, safe="")
    if extra := REQUIRED_QUERY.get(url):
        query += "&" + urlencode(extra)
    return await client.get(httpx.URL(url, query=query.encode("ascii")), headers=lists.headers)


def _refused(r: httpx.Response, url: str) -> None:
    problem = problem_of(r, 422)
    assert ["query", "cursor"] in error_locs(problem), (url, problem)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)
CURSORS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=["Cs", "Co", "Cc", "Lo"]), max_size=50),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.=", max_size=2100),
    st.binary(max_size=200),
    JSON.map(lambda v: _b64(json.dumps(v).encode())),
    st.tuples(JSON, st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=60)).map(
        lambda t: f"{_b64(json.dumps(t[0]).encode())}.{t[1]}"
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=CURSORS)
@example(cursor=_b64(b"[2147483648]"))
@example(cursor=_b64(b'[{"a":1}]'))
@example(cursor=_b64(b'["\\ud800", "00000000-0000-0000-0000-000000000000"]'))  # a lone surrogate, JSON-escaped
@example(cursor="\udc00")  # a lone surrogate sent as its (invalid) UTF-8 bytes
@example(cursor=b"\xed\xb2\x80\xff")
@example(cursor=_b64(b'["2023-05-04T00:00:00", "00000000-0000-0000-0000-000000000000"]'))  # a naive datetime
@example(cursor=_b64(b'["99999-12-31", "00000000-0000-0000-0000-000000000000"]'))  # an out-of-range date
@example(cursor=_b64(b"[" * 700 + b"]" * 700))  # deep nesting that still fits the length limit
@example(cursor=_b64(b"[" * 9000 + b"]" * 9000))  # 9,000 deep
@example(cursor="A" * 60_000)  # far beyond any issued cursor (httpx sends at most 64 KiB of query)
@example(cursor=_b64(b'["x"]') + "." + "A" * 43)  # a well-formed payload with a made-up tag
@example(cursor="位置.标签")  # non-ASCII on both sides of the dot: refused before any comparison
async def test_forged_cursors_are_422_on_every_list(
    client: httpx.AsyncClient, lists: Lists, cursor: str | bytes
) -> None:
    for url in lists.urls:
        _refused(await _get(client, lists, url, cursor), url)


async def _next_cursor(client: httpx.AsyncClient, lists: Lists, url: str) -> str:
    r = await client.get(url, params={"limit": 1, **REQUIRED_QUERY.get(url, {})}, headers=lists.headers)
    assert r.status_code == 200, r.text
    cursor: str | None = r.json()["next_cursor"]
    assert cursor is not None, f"{url}: needs two items for this test"
    return cursor


async def test_issued_cursors_page_on_their_own_list_only(client: httpx.AsyncClient, lists: Lists) -> None:
    draws = f"{API}/plans/{lists.plan_id}/draws"
    cursor = await _next_cursor(client, lists, draws)
    r = await client.get(draws, params={"limit": 1, "cursor": cursor}, headers=lists.headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"] is None
    # the same cursor on another plan's draws, on another list, or altered in one character: not issued for it
    for url in (f"{API}/plans/{lists.other_plan_id}/draws", f"{API}/institutions", f"{API}/plans"):
        _refused(await _get(client, lists, url, cursor), url)
    position, tag = cursor.split(".")
    for altered in (position + "." + tag[::-1], position[:-1] + "." + tag, position, "." + tag, cursor + "A"):
        _refused(await _get(client, lists, draws, altered), draws)
    institutions = f"{API}/institutions"
    foreign = await _next_cursor(client, lists, institutions)
    _refused(await _get(client, lists, draws, foreign), draws)
    assert (await client.get(institutions, params={"cursor": foreign}, headers=lists.headers)).status_code == 200
