"""Spooled exports: the ledger is written whole before the first byte leaves, so a client that stops reading holds
no database connection; at most EXPORTS_PER_CREDENTIAL exports per credential are in flight (429 beyond)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from app.auth.models import Role
from app.auth.principals import Principal, PrincipalKind
from app.core.config import Settings
from app.db.session import Database
from app.exports import service
from app.exports.spool import ExportGate
from app.main import create_app
from tests.conftest import OWN_REGION, TEST_SECRET, Actor, ActorFactory
from tests.exports.test_ledger import CSV_URL, XLSX_URL, parse_csv
from tests.reports.conftest import Crafted

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

SEND_TIMEOUT_S = 0.5


def _principal(actor: Actor) -> Principal:
    return Principal(PrincipalKind.user, actor.user_id, actor.username, actor.role, actor.region_code)


def _gate(app: FastAPI) -> ExportGate:
    gate: ExportGate = app.state.export_gate
    return gate


def _reencoded(body: bytes) -> bytes:
    """The body parsed and written again with the ledger's dialect (BOM, CRLF, minimal quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _export_scope(actor: Actor) -> dict[str, Any]:
    """The ASGI scope of a GET of the CSV ledger by `actor`, as a server would hand it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": CSV_URL,
        "raw_path": CSV_URL.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"authorization", actor.headers["Authorization"].encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "state": {},
    }


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def test_csv_body_is_the_same_bytes_whatever_the_partition_size(
    client: httpx.AsyncClient, crafted: Crafted, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await client.get(CSV_URL, headers=crafted.admin.headers)
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.content == _reencoded(r.content)  # one header, CRLF rows, nothing doubled or cut at a boundary
    monkeypatch.setattr(service, "PARTITION", 2)  # 9 rows: five partitions, numbering runs on across them
    again = await client.get(CSV_URL, headers=crafted.admin.headers)
    assert again.content == r.content
    assert [row["序号"] for row in parse_csv(again.content)] == [str(i) for i in range(1, 10)]


async def test_beyond_the_exports_per_credential_a_third_is_429_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    viewer = await make_actor(Role.viewer, OWN_REGION)
    gate = _gate(app)
    held = [gate.claim(_principal(viewer)) for _ in range(gate.per_credential)]  # two exports in flight
    try:
        for url in (CSV_URL, XLSX_URL):
            r = await client.get(url, headers=viewer.headers)
            assert r.status_code == 429
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) > 0
            assert "EXPORTS_PER_CREDENTIAL" in r.json()["detail"]
        # another credential is not held back by this one's exports
        assert (await client.get(CSV_URL, headers=crafted.admin.headers)).status_code == 200
        held.pop()()  # one export finished: the next is let through
        r = await client.get(CSV_URL, headers=viewer.headers)
        assert r.status_code == 200 and len(parse_csv(r.content)) == 8
        assert gate.in_flight(_principal(viewer)) == 1  # its slot was given back once the body was sent
    finally:
        for release in held:
            release()
    assert gate.in_flight(_principal(viewer)) == 0


async def test_a_refused_export_takes_no_slot(client: httpx.AsyncClient, app: FastAPI, crafted: Crafted) -> None:
    r = await client.get(CSV_URL, params={"status": "lost"}, headers=crafted.admin.headers)
    assert r.status_code == 422
    principal = Principal(PrincipalKind.user, crafted.admin.user_id, "", Role.admin, "")
    assert _gate(app).in_flight(principal) == 0


async def test_a_client_that_stops_reading_holds_no_database_connection(
    app: FastAPI, db: Database, crafted: Crafted
) -> None:
    """The app driven as a server would: once some of the body is sent, `send` blocks (the client is not reading)
    until the test lets it go. Meanwhile no connection is checked out of the pool and the credential's slot is held."""
    scope = _export_scope(crafted.admin)
    stalled, resume = asyncio.Event(), asyncio.Event()
    body = bytearray()
    checked_out_at_start: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            checked_out_at_start.append(db.engine.pool.checkedout())  # type: ignore[attr-defined]
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            if body and not stalled.is_set():
                stalled.set()
                await resume.wait()
            body.extend(message.get("body", b""))

    task = asyncio.create_task(app(scope, _no_body, send))
    await asyncio.wait_for(stalled.wait(), 10)
    principal = Principal(PrincipalKind.user, crafted.admin.user_id, "", Role.admin, "")
    assert checked_out_at_start == [0]
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert _gate(app).in_flight(principal) == 1
    resume.set()
    await asyncio.wait_for(task, 10)
    assert len(parse_csv(bytes(body))) == 9
    assert _gate(app).in_flight(principal) == 0


@pytest.fixture
async def impatient_app(settings: Settings, clean_db: Database) -> AsyncIterator[FastAPI]:
    """A second app on the same database whose sends time out after SEND_TIMEOUT_S."""
    application = create_app(
        Settings(
            DATABASE_URL=settings.DATABASE_URL,
            DATA_DIR=settings.DATA_DIR,
            SECRET_KEY=TEST_SECRET,
            SEND_TIMEOUT_SECONDS=SEND_TIMEOUT_S,
            _env_file=None,
        )
    )
    yield application
    await application.state.db.dispose()


async def test_a_send_that_waits_past_the_send_timeout_ends_the_response(
    impatient_app: FastAPI, crafted: Crafted
) -> None:
    """The client stops reading after the first chunk: the blocked send is given up after SEND_TIMEOUT_SECONDS,
    nothing more is sent, and the export's file and slot are let go (the app returns)."""
    sent: list[Message] = []
    never = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and any(m["type"] == "http.response.body" for m in sent):
            await never.wait()  # the socket's buffers are full and nobody reads
        sent.append(message)

    started = time.perf_counter()
    await asyncio.wait_for(impatient_app(_export_scope(crafted.admin), _no_body, send), 10)
    elapsed = time.perf_counter() - started
    assert SEND_TIMEOUT_S <= elapsed < SEND_TIMEOUT_S + 3
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["more_body"] is True
    principal = Principal(PrincipalKind.user, crafted.admin.user_id, "", Role.admin, "")
    assert _gate(impatient_app).in_flight(principal) == 0


def test_the_export_operations_document_the_429(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for url in (CSV_URL, XLSX_URL):
        responses = paths[url]["get"]["responses"]
        assert responses["429"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
