"""What the two schemathesis tests share (tests/core/test_fuzz.py per operation, test_fuzz_stateful.py along the
OpenAPI links): the checks every answer must pass, the schemathesis configuration, the in-process client and
the sender that puts schemathesis' requests on the test's own event loop, the seeded records, and the log rule.

Requests are sent in-process: the session `app` and its database engine live on the test's event loop, so
generation runs in a worker thread (`anyio.to_thread`) and hands each request back to the loop with
`anyio.from_thread.run(send, kwargs)`, byte for byte what schemathesis' own transport would have sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import CheckFunction
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from app.auth.models import Role
from tests import factories
from tests.conftest import OWN_REGION, Actor, ActorFactory

BASE_URL = "http://test"
# Its own client address: the login throttle and the public endpoints' rate limit count per client IP, and
# the app is shared with the rest of the session.
CLIENT = ("192.0.2.77", 40000)
# How much to generate (times the tests' own defaults); FUZZ_SCALE > 1 explores further and longer.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# Fixed, so CI runs are reproducible; set FUZZ_SEED to explore elsewhere.
SEED = int(os.environ.get("FUZZ_SEED", "20240601"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,  # the coverage phase tries the methods a path does not have: 405
    allow_header_conformance,  # … with an Allow header naming exactly the documented ones
]

# Checks unfit for one path, by design of the contract.
UNFIT: dict[str, list[CheckFunction]] = {
    # API.md fixes both `GET /users/me` and `PATCH /users/{user_id}`: PATCH /users/me is routed to the latter
    # ("me" read as a malformed user id: 422, not 405), and `Allow` on /users/me rightly lists that PATCH.
    "/api/v1/users/me": [unsupported_method, allow_header_conformance],
}

SIGN_OUT_EVERYWHERE = "/api/v1/users/me/revoke-sessions"

# A schema-valid request may still break a business rule, which API.md makes a 422 (an officer_id that does not
# exist, fewer than two certified officers, a date before the inspection), or be throttled (429): valid *shape*
# must not be refused with anything else (400, 405, 413 …).
ACCEPTED = ["2xx", "401", "403", "404", "409", "412", "422", "429"]
CONFIG_DICT: dict[str, Any] = {
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "operations": [
        {
            # Evidence is typed by its first bytes (JPEG, PNG, WebP, PDF), which no schema can express: generated
            # file contents are refused with the documented 415.
            "include-path-regex": "/evidence$",
            "include-method": "POST",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "415"]}},
        }
    ],
}
CONFIG = SchemathesisConfig.from_dict(CONFIG_DICT)

Send = Callable[[dict[str, Any]], Coroutine[Any, Any, httpx.Response]]
Operation = APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]


def load_schema(app: FastAPI, config: SchemathesisConfig = CONFIG) -> tuple[BaseSchema, list[Operation]]:
    """The app's own OpenAPI document as schemathesis reads it, and its operations (every one must load)."""
    schema = schemathesis.openapi.from_dict(app.openapi(), config=config)
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), [r for r in results if not isinstance(r, Ok)]
    return schema, [result.ok() for result in results if isinstance(result, Ok)]


@asynccontextmanager
async def in_process_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on this event loop. An unhandled error reaches the checks as the 500 a client would
    get (and its traceback is in the log)."""
    transport = httpx.ASGITransport(app=app, client=CLIENT, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def wire_request(kwargs: dict[str, Any]) -> requests.PreparedRequest:
    """The exact request schemathesis' own transport would send (requests-style kwargs → bytes on the wire)."""
    return requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()


def sender(client: httpx.AsyncClient) -> Send:
    async def send(kwargs: dict[str, Any]) -> httpx.Response:
        prepared = wire_request(kwargs)
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        assert prepared.method is not None and prepared.url is not None
        assert body is None or isinstance(body, bytes)
        headers = {k: v if isinstance(v, str) else v.decode("latin-1") for k, v in prepared.headers.items()}
        return await client.request(prepared.method, prepared.url, headers=headers, content=body)

    return send


async def seed_records(
    client: httpx.AsyncClient, headers: dict[str, str], make_actor: ActorFactory
) -> dict[str, list[str]]:
    """Records generation alone rarely manages to create (an inspection needs two certified officers), by the
    name of the path parameter that takes their ids."""
    institution = await factories.institution(client, headers)
    o1 = await factories.officer(client, headers, name="谭明")
    o2 = await factories.officer(client, headers, name="冉华")
    r = await client.post(
        "/api/v1/inspections", headers=headers, json=factories.inspection_body(institution["id"], [o1["id"], o2["id"]])
    )
    assert r.status_code == 201, r.text
    inspection = r.json()
    hazard_ids = [h["id"] for h in inspection["hazards"]]
    r = await client.post(
        f"/api/v1/hazards/{hazard_ids[0]}/evidence", headers=headers, files={"file": ("photo.png", PNG, "image/png")}
    )
    assert r.status_code == 201, r.text
    evidence_id = r.json()["id"]
    r = await client.post(
        "/api/v1/api-keys", json={"name": "fuzz", "role": "viewer", "region_code": ""}, headers=headers
    )
    assert r.status_code == 201, r.text
    key_id = r.json()["id"]
    target = await make_actor(Role.viewer, OWN_REGION)
    return {
        "institution_id": [institution["id"]],
        "officer_id": [o1["id"], o2["id"]],
        "inspection_id": [inspection["id"]],
        "hazard_id": hazard_ids,
        "evidence_id": [evidence_id],
        "key_id": [key_id],
        "user_id": [str(target.user_id)],
    }


async def admins(make_actor: ActorFactory) -> tuple[Actor, Actor]:
    """A national admin whose token generated requests carry, and one of its own for "sign out everywhere"
    (SIGN_OUT_EVERYWHERE ends the token it is called with), so the first stays signed in."""
    return await make_actor(Role.admin, ""), await make_actor(Role.admin, "")


def assert_quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """Bad input is the client's problem: nothing logged as an error or with a traceback; and one request is one
    log line, whatever its path holds. (Call `caplog.set_level(logging.INFO)` before the run.)"""
    records = caplog.get_records("call")
    assert not [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not [r.getMessage() for r in records if r.name == "app.access" and not r.getMessage().isprintable()]
