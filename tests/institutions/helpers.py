"""Shared helpers for the institution tests: request bodies, a create shortcut and problem+json assertions."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import OWN_REGION

URL = "/api/v1/institutions"
PROBLEM_JSON = "application/problem+json"

# Valid unified social credit codes (check character verified by hand against GB 32100-2015).
CREDIT_A = "91350100M000100Y43"
CREDIT_B = "91110000802100433B"

TRACEBACK_MARKERS = ("Traceback", 'File "', "sqlalchemy.", "asyncpg.", "aiosqlite", "pydantic_core")


def body(**overrides: Any) -> dict[str, Any]:
    """A minimal valid create body; `overrides` replace or add fields (a value of `...` removes one)."""
    data: dict[str, Any] = {"name": "石柱县南宾街道敬老院", "kind": "elderly_care", "region_code": OWN_REGION}
    return factories.overridden(data, overrides)


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """POST an institution and return the stored record (asserts 201)."""
    r = await client.post(URL, json=body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    record: dict[str, Any] = r.json()
    return record


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """`r` is an RFC 9457 problem with `status`; when `field` is given, the detail and an error name it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers["content-type"]
    problem: dict[str, Any] = r.json()
    assert problem["status"] == status
    assert isinstance(problem["type"], str) and problem["type"]
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    for marker in TRACEBACK_MARKERS:
        assert marker not in r.text, f"{marker!r} leaked into the body: {r.text}"
    if field is not None:
        assert field in problem["detail"], problem
        errors = problem.get("errors") or []
        assert any(e["loc"] and e["loc"][-1] == field for e in errors), problem
    return problem
