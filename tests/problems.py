"""The one check of an error answer that every domain's `assert_problem` builds on."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"
TRACEBACK_MARKERS = ("Traceback", 'File "', "sqlalchemy.", "asyncpg.", "aiosqlite", "pydantic_core")


def problem_of(r: httpx.Response, status: int) -> dict[str, Any]:
    """`r` is an RFC 9457 problem with `status`: problem+json, non-empty type/title/detail, no internals leaked,
    and for 401 the Bearer challenge. Returns the body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0] == PROBLEM_JSON, r.headers["content-type"]
    problem: dict[str, Any] = r.json()
    assert problem["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(problem[key], str) and problem[key], problem
    for marker in TRACEBACK_MARKERS:
        assert marker not in r.text, f"{marker!r} leaked into the body: {r.text}"
    if status == 401:
        assert r.headers.get("www-authenticate") == "Bearer", r.headers
    return problem


def error_locs(problem: dict[str, Any]) -> list[list[str | int]]:
    return [e["loc"] for e in problem.get("errors") or []]
