"""Shared helpers for the institution tests: request bodies, a create shortcut and problem+json assertions."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import OWN_REGION
from tests.problems import error_locs, problem_of

URL = "/api/v1/institutions"

# Valid unified social credit codes (check character verified by hand against GB 32100-2015).
CREDIT_A = "91350100M000100Y43"
CREDIT_B = "91110000802100433B"


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
    problem = problem_of(r, status)
    if field is not None:
        assert field in problem["detail"], problem
        assert any(loc and loc[-1] == field for loc in error_locs(problem)), problem
    return problem
