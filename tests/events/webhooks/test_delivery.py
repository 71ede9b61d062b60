"""Delivery to a real loopback receiver: Standard Webhooks signatures, fan-out by region / type / creation time,
retries then `failed`, the test and retry endpoints, and receivers that fail in every way (both databases)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook as Verifier

from app.auth.models import Role
from app.db.outbox import Event, EventType, record
from app.db.session import Database
from app.events.queries import feed_page
from app.events.webhooks.models import WebhookDelivery
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.events.webhooks.conftest import WorkerFactory
from tests.events.webhooks.receiver import Receiver

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

HOOKS = "/api/v1/webhooks"


async def _subscribe(client: httpx.AsyncClient, actor: Actor, url: str, **body: Any) -> dict[str, Any]:
    r = await client.post(HOOKS, json={"url": url, **body}, headers=actor.headers)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


async def _event(db: Database, type_: EventType = EventType.draw_created, region: str = OWN_REGION) -> str:
    """Record an event and wait until the feed hands it out: on PostgreSQL a write transaction still open
    anywhere in the cluster (another test run's) holds back the horizon for a moment."""
    async with db.write_session() as s:
        event_id = await record(s, type_, region, {"plan_id": str(uuid.uuid4()), "draw_id": str(uuid.uuid4())})
        await s.commit()
    for _ in range(200):
        async with db.query_session() as s:
            if event_id in [e.id for e in await feed_page(s, None, 10_000, [Event.id == event_id])]:
                return str(event_id)
        await asyncio.sleep(0.05)
    raise AssertionError(f"event {event_id} never reached the feed")


async def _deliveries(client: httpx.AsyncClient, actor: Actor, hook_id: str, **params: str) -> list[dict[str, Any]]:
    r = await client.get(f"{HOOKS}/{hook_id}/deliveries", params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_delivery_is_signed_as_standard_webhooks_verifies_it(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/ok"))
    event_id = await _event(clean_db)
    assert await make_worker().run_once(http) == 1
    [got] = receiver.on("/ok")
    payload = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert payload["id"] == event_id and payload["type"] == "draw.created" and payload["region_code"] == OWN_REGION
    assert got.headers["webhook-id"] == event_id and got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 30
    try:
        Verifier("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)
        raise AssertionError("another secret verified the delivery")
    except Exception as exc:
        assert "signature" in str(exc).lower()
    [log] = await _deliveries(client, admin, hook["id"])
    assert log["status"] == "delivered" and log["attempts"] == 1 and log["last_status_code"] == 200
    assert log["event_id"] == event_id and log["delivered_at"] is not None and log["next_attempt_at"] is None
    assert await make_worker().run_once(http) == 0, "a delivered event is not sent again"


async def test_subscriptions_get_their_subtree_their_types_and_only_what_came_after_them(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    before = await _event(clean_db)
    county = await make_actor(Role.admin, region_code=OWN_REGION)
    await _subscribe(client, county, receiver.url("/ok"))
    await _subscribe(client, admin, receiver.url("/ok?only=hazards"), event_types=["hazard.created"])
    mine = await _event(clean_db)
    elsewhere = await _event(clean_db, region=OTHER_REGION)
    hazard = await _event(clean_db, EventType.hazard_created, OTHER_REGION)
    await make_worker().run_once(http)
    county_got = [r.headers["webhook-id"] for r in receiver.on("/ok")]
    typed_got = [r.headers["webhook-id"] for r in receiver.on("/ok?only=hazards")]
    assert county_got == [mine], (before, elsewhere)
    assert typed_got == [hazard]


async def test_a_failing_receiver_is_retried_on_schedule_then_failed_and_retry_gives_one_more(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/fail"))
    event_id = await _event(clean_db)
    worker = make_worker(WEBHOOK_RETRY_SCHEDULE="0,0")  # 3 attempts at most
    for _ in range(5):
        await worker.run_once(http)
    got = receiver.on("/fail")
    assert len(got) == 3 and {r.headers["webhook-id"] for r in got} == {event_id}
    [log] = await _deliveries(client, admin, hook["id"], status="failed")
    assert log["attempts"] == 3 and log["last_status_code"] == 500 and log["last_error"] == "answered 500"
    assert log["next_attempt_at"] is None
    assert await _deliveries(client, admin, hook["id"], status="pending") == []
    retry = f"{HOOKS}/{hook['id']}/deliveries/{log['id']}/retry"
    r = await client.post(retry, headers=admin.headers)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    for _ in range(3):
        await worker.run_once(http)
    assert len(receiver.on("/fail")) == 4, "a retry is one attempt, with no new schedule"
    [log] = await _deliveries(client, admin, hook["id"])
    assert log["status"] == "failed" and log["attempts"] == 4


async def test_a_flaky_receiver_is_delivered_on_the_second_attempt_and_retry_of_it_is_409(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/flaky"))
    await _event(clean_db)
    worker = make_worker(WEBHOOK_RETRY_SCHEDULE="0")
    await worker.run_once(http)
    await worker.run_once(http)
    [log] = await _deliveries(client, admin, hook["id"])
    assert log["status"] == "delivered" and log["attempts"] == 2
    r = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{log['id']}/retry", headers=admin.headers)
    assert r.status_code == 409
    r = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{uuid.uuid4()}/retry", headers=admin.headers)
    assert r.status_code == 404


async def test_the_test_endpoint_delivers_webhook_test_to_that_subscription_only(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/ok"))
    await _subscribe(client, admin, receiver.url("/ok?other"))
    r = await client.post(f"{HOOKS}/{hook['id']}/test", headers=admin.headers)
    assert r.status_code == 202, r.text
    await make_worker().run_once(http)
    [got] = receiver.on("/ok")
    body = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert body["type"] == "webhook.test" and body["data"] == {"webhook_id": hook["id"]}
    assert receiver.on("/ok?other") == []
    async with clean_db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Event)) == 0, "a test is not in the feed"
    viewer_headers = (await _viewer(client, admin)).headers
    assert (await client.post(f"{HOOKS}/{hook['id']}/test", headers=viewer_headers)).status_code == 403


async def _viewer(client: httpx.AsyncClient, admin: Actor) -> Actor:
    r = await client.post(
        "/api/v1/users",
        json={
            "username": f"v{uuid.uuid4().hex[:8]}",
            "password": "correct horse battery",
            "role": "viewer",
            "region_code": OWN_REGION,
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    tok = await client.post(
        "/api/v1/auth/token", data={"username": r.json()["username"], "password": "correct horse battery"}
    )
    assert tok.status_code == 200, tok.text
    return Actor(
        uuid.UUID(r.json()["id"]),
        r.json()["username"],
        Role.viewer,
        OWN_REGION,
        {"Authorization": f"Bearer {tok.json()['access_token']}"},
    )


async def test_receivers_that_hang_redirect_or_send_10_mb_fail_within_the_timeout(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hooks = {p: await _subscribe(client, admin, receiver.url(p)) for p in ("/hang", "/redirect", "/huge-fail", "/huge")}
    await _event(clean_db)
    worker = make_worker(WEBHOOK_TIMEOUT_SECONDS=1, WEBHOOK_RETRY_SCHEDULE="")
    started = time.monotonic()
    assert await worker.run_once(http) == 4
    assert time.monotonic() - started < 3, "the attempts run side by side, each within its 1 s"
    logs = {p: (await _deliveries(client, admin, h["id"]))[0] for p, h in hooks.items()}
    assert logs["/hang"]["status"] == "failed" and logs["/hang"]["last_error"] == "no answer within 1 s"
    assert logs["/redirect"]["status"] == "failed" and logs["/redirect"]["last_status_code"] == 302
    assert receiver.on("/ok") == [], "a redirect is not followed"
    assert logs["/huge-fail"]["status"] == "failed" and logs["/huge-fail"]["last_status_code"] == 500
    assert logs["/huge"]["status"] == "delivered", "a 2xx counts; its body is not read"


async def test_a_url_disallowed_after_subscribing_is_refused_at_the_attempt(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/ok"))
    await _event(clean_db)
    await make_worker(WEBHOOK_ALLOWED_HOSTS="", WEBHOOK_RETRY_SCHEDULE="").run_once(http)
    assert receiver.on("/ok") == []
    [log] = await _deliveries(client, admin, hook["id"])
    assert log["status"] == "failed" and log["last_error"].startswith("refused: ")


async def test_deleting_a_subscription_drops_its_pending_deliveries(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
    http: httpx.AsyncClient,
) -> None:
    hook = await _subscribe(client, admin, receiver.url("/fail"))
    await _event(clean_db)
    await make_worker(WEBHOOK_RETRY_SCHEDULE="3600").run_once(http)
    assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=admin.headers)).status_code == 204
    async with clean_db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_two_workers_never_attempt_one_delivery_twice(
    client: httpx.AsyncClient,
    admin: Actor,
    clean_db: Database,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    for n in range(3):
        await _subscribe(client, admin, receiver.url(f"/ok?hook={n}"))
    events = [await _event(clean_db) for _ in range(10)]
    a, b = make_worker(), make_worker()
    async with httpx.AsyncClient(trust_env=False) as h1, httpx.AsyncClient(trust_env=False) as h2:
        for _ in range(3):
            await asyncio.gather(a.run_once(h1), b.run_once(h2), a.run_once(h1), b.run_once(h2))
    pairs = [(r.path, r.headers["webhook-id"]) for r in receiver.requests]
    assert len(pairs) == len(set(pairs)) == 30, "every (subscription, event) exactly once"
    assert {p[1] for p in pairs} == set(events)
    async with clean_db.sessionmaker() as s:
        rows = (await s.execute(select(WebhookDelivery.status, WebhookDelivery.attempts))).all()
    assert len(rows) == 30 and all(r.status == "delivered" and r.attempts == 1 for r in rows), [
        r for r in rows if r.attempts != 1 or r.status != "delivered"
    ]
    assert json.loads(receiver.requests[0].body)["type"] == "draw.created"
