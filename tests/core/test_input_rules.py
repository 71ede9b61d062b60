"""Input rules the schema fuzzer found broken, pinned down: dates are `YYYY-MM-DD` only, text holding NUL is a
422 on every engine (PostgreSQL cannot store it), and a path cannot forge access log lines."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests import factories
from tests.conftest import Actor
from tests.institutions.helpers import assert_problem


@pytest.mark.parametrize("value", ["0", "0.0", "86400", "2023-05-04T00:00:00", "20230504", "2023-5-4"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/summary?as_of=",
        "/api/v1/hazards?found_from=",
        "/api/v1/inspections?from=",
        "/api/v1/officers?certified_on=",
    ],
)
async def test_date_query_parameters_take_iso_dates_only(
    client: httpx.AsyncClient, admin: Actor, url: str, value: str
) -> None:
    # Pydantic's lax mode read 0 and midnight Unix timestamps as dates (0 → 1970-01-01) and answered 200.
    field = url.rsplit("?", 1)[1].removesuffix("=")
    problem = assert_problem(await client.get(url + value, headers=admin.headers), 422, field)
    assert "YYYY-MM-DD" in problem["detail"]


async def test_iso_date_query_parameter_is_taken(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(
        "/api/v1/reports/summary?from=2023-01-01&to=2023-12-31&as_of=2023-06-30", headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["as_of"] == "2023-06-30"


@pytest.mark.parametrize("value", [0, 86400, "0", "2023-05-04T00:00:00", 20230504.0])
async def test_date_body_fields_take_iso_dates_only(client: httpx.AsyncClient, admin: Actor, value: object) -> None:
    body = {"name": "谭明", "unit": "社会福利中心", "region_code": "500240", "certificate_issued_on": value}
    r = await client.post("/api/v1/officers", json=body, headers=admin.headers)
    assert_problem(r, 422, "certificate_issued_on")
    assert (await client.get("/api/v1/officers", headers=admin.headers)).json()["items"] == []


async def test_nested_date_body_field_takes_iso_dates_only(client: httpx.AsyncClient, admin: Actor) -> None:
    institution = await factories.institution(client, admin.headers)
    o1 = await factories.officer(client, admin.headers)
    o2 = await factories.officer(client, admin.headers)
    body = factories.inspection_body(institution["id"], [o1["id"], o2["id"]])
    body["hazards"][0]["due_on"] = 1684540800  # 2023-05-20 00:00 UTC as a Unix timestamp
    r = await client.post("/api/v1/inspections", json=body, headers=admin.headers)
    problem = assert_problem(r, 422, "due_on")
    assert problem["errors"][0]["loc"] == ["body", "hazards", 0, "due_on"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "敬老院\x00", "kind": "elderly_care", "region_code": "500240"},
        {"name": "敬老院", "kind": "elderly_care", "region_code": "500240", "address": "\x00"},
    ],
    ids=["name", "address"],
)
async def test_nul_in_a_body_field_is_422_naming_it(
    client: httpx.AsyncClient, admin: Actor, body: dict[str, str]
) -> None:
    field = next(k for k, v in body.items() if "\x00" in v)
    r = await client.post("/api/v1/institutions", json=body, headers=admin.headers)
    problem = assert_problem(r, 422, field)
    assert "NUL" in problem["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/institutions?q=%00",
        "/api/v1/institutions?township=a%00b",
        "/api/v1/officers?unit=%00",
        "/api/v1/officers?q=x%00",
    ],
)
async def test_nul_in_a_query_filter_is_422(client: httpx.AsyncClient, admin: Actor, url: str) -> None:
    # On PostgreSQL this was the driver's "invalid byte sequence for encoding UTF8: 0x00", a 500.
    problem = assert_problem(await client.get(url, headers=admin.headers), 422)
    assert "NUL" in problem["detail"]


async def test_nul_in_a_login_form_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": "admin\x00", "password": "x"})
    assert_problem(r, 422)


async def test_a_path_cannot_forge_access_log_lines(
    client: httpx.AsyncClient, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    await client.get("/api/v1/institutions/x%0D%0AGET%20/api/v1/users%20200", headers=admin.headers)
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert lines and all(line.isprintable() for line in lines), lines
    assert "\\r\\n" in lines[-1]
