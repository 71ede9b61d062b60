"""系统管理 · Webhook (/console/admin/webhooks): subscriptions, the secret shown once, the delivery log and 重试."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from app.db.session import Database
from app.events.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.events.webhooks.conftest import WorkerFactory, allow_loopback, http, make_worker
from tests.events.webhooks.receiver import Receiver, receiver
from tests.web.console.admin_helpers import beside, post, signed_in

__all__ = ["allow_loopback", "http", "make_worker", "receiver"]  # fixtures

HOOKS = "/console/admin/webhooks"
SECRET = re.compile(r'value="(whsec_[^"]+)" data-secret="webhook-secret"')
PUBLIC = "https://93.184.216.34/hooks/inspection"  # a public address literal: no DNS needed


async def hook_count(db: Database) -> int:
    async with db.query_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Webhook)) or 0)


async def deliveries(db: Database) -> list[WebhookDelivery]:
    async with db.query_session() as session:
        return list((await session.scalars(select(WebhookDelivery))).all())


async def test_create_shows_the_secret_once_and_lists_the_subscription(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    form: dict[str, str | list[str]] = {
        "url": PUBLIC,
        "event_types": ["hazard.created", "hazard.overdue"],
        "description": "市局平台",
        "enabled": "on",
    }
    r = await post(client, HOOKS, {**form, "region_code": ""})
    assert r.status_code == 200, r.text
    match = SECRET.search(r.text)
    assert match is not None and "它只显示这一次" in r.text
    again = await client.get(HOOKS)
    assert match.group(1) not in again.text and "whsec_" not in again.text
    row = re.search(r'<tr data-id="([0-9a-f-]{36})"', again.text)
    assert row is not None and PUBLIC in again.text and "新发现隐患、隐患整改逾期" in again.text
    detail = await client.get(f"{HOOKS}/{row.group(1)}")
    assert detail.status_code == 200 and "whsec_" not in detail.text
    assert OWN_REGION in detail.text and 'data-enabled="true"' in detail.text  # the admin's region by default


async def test_a_refused_url_or_region_is_shown_beside_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    cases = {
        "https://10.0.0.7/hook": "10.0.0.7 指向内网地址",
        "ftp://93.184.216.34/x": "网址须以 https:// 开头",
        "https://user:pw@93.184.216.34/x": "网址中不能包含用户名或密码",
        "http://93.184.216.34/x": "该地址须使用 https://",
        "": "请填写网址",
    }
    for url, message in cases.items():
        r = await post(client, HOOKS, {"url": url, "description": "试试", "enabled": "on"})
        assert r.status_code == 422, url
        assert message in beside(r.text, "url"), (url, beside(r.text, "url"))
        assert 'value="试试"' in r.text and "whsec_" not in r.text
    r = await post(client, HOOKS, {"url": PUBLIC, "region_code": OTHER_REGION})
    assert r.status_code == 422 and "不在您的管辖范围内" in beside(r.text, "region_code")
    r = await post(client, HOOKS, {"url": PUBLIC, "event_types": ["no.such"]})
    assert r.status_code == 422 and beside(r.text, "event_types") == "事件类型请从列表中选择"
    assert await hook_count(clean_db) == 0


async def test_a_failed_delivery_is_listed_and_retried_from_the_page(
    client: httpx.AsyncClient,
    make_actor: ActorFactory,
    make_worker: WorkerFactory,
    receiver: Receiver,
    http: httpx.AsyncClient,
    clean_db: Database,
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    r = await post(client, HOOKS, {"url": receiver.url("/flaky"), "enabled": "on"})
    assert r.status_code == 200, r.text
    hook_id = re.search(r'<tr data-id="([0-9a-f-]{36})"', r.text)
    assert hook_id is not None
    path = f"{HOOKS}/{hook_id.group(1)}"
    r = await post(client, path, {"action": "test"})
    assert (r.status_code, r.headers["location"]) == (303, path)
    worker = make_worker(WEBHOOK_RETRY_SCHEDULE="")  # no retries: the first 500 fails it
    assert await worker.run_once(http) == 1
    page = await client.get(path)
    (delivery,) = await deliveries(clean_db)
    assert delivery.status == DeliveryStatus.failed
    row = page.text.split(f'<tr data-id="{delivery.id}" data-status="failed">', 1)[1].split("</tr>", 1)[0]
    assert "失败" in row and "500" in row and ">1<" in row and "重试" in row
    failed_only = await client.get(path, params={"status": "failed"})
    assert str(delivery.id) in failed_only.text
    assert str(delivery.id) not in (await client.get(path, params={"status": "delivered"})).text
    r = await post(client, f"{path}/deliveries/{delivery.id}/retry", {})
    assert (r.status_code, r.headers["location"]) == (303, path)
    r = await post(client, f"{path}/deliveries/{delivery.id}/retry", {})  # no longer failed
    assert r.status_code == 409 and "无需重试" in r.text
    assert await worker.run_once(http) == 1
    page = await client.get(path)
    assert f'<tr data-id="{delivery.id}" data-status="delivered">' in page.text and "已送达" in page.text
    assert len(receiver.on("/flaky")) == 2


async def test_disable_enable_and_delete(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    admin = await make_actor("admin", OWN_REGION)
    r = await client.post("/api/v1/webhooks", json={"url": PUBLIC}, headers=admin.headers)
    hook_id = r.json()["id"]
    await signed_in(client, admin.username)
    path = f"{HOOKS}/{hook_id}"
    assert (await post(client, path, {"action": "disable"})).status_code == 303
    assert (await client.get(f"/api/v1/webhooks/{hook_id}", headers=admin.headers)).json()["enabled"] is False
    assert 'data-enabled="false"' in (await client.get(path)).text
    assert (await post(client, path, {"action": "enable"})).status_code == 303
    assert (await client.get(f"/api/v1/webhooks/{hook_id}", headers=admin.headers)).json()["enabled"] is True
    r = await post(client, path, {"action": "delete"})
    assert (r.status_code, r.headers["location"]) == (303, HOOKS)
    assert await hook_count(clean_db) == 0
    assert (await client.get(path)).status_code == 404


async def test_other_regions_and_non_admins(
    client: httpx.AsyncClient, make_actor: ActorFactory, clean_db: Database
) -> None:
    national = await make_actor("admin", "")
    r = await client.post(
        "/api/v1/webhooks", json={"url": PUBLIC, "region_code": OTHER_REGION}, headers=national.headers
    )
    theirs = r.json()["id"]
    test = await client.post(f"/api/v1/webhooks/{theirs}/test", headers=national.headers)
    delivery_id = test.json()["delivery_id"]
    admin = await make_actor("admin", OWN_REGION)
    await signed_in(client, admin.username)
    assert theirs not in (await client.get(HOOKS)).text
    assert (await client.get(f"{HOOKS}/{theirs}")).status_code == 404
    for action in ("disable", "delete", "test"):
        assert (await post(client, f"{HOOKS}/{theirs}", {"action": action})).status_code == 404
    assert (await post(client, f"{HOOKS}/{theirs}/deliveries/{delivery_id}/retry", {})).status_code == 404
    viewer = await make_actor("viewer", OWN_REGION)
    await signed_in(client, viewer.username)
    assert (await client.get(HOOKS)).status_code == 403
    assert (await post(client, HOOKS, {"url": PUBLIC})).status_code == 403
    assert (await post(client, f"{HOOKS}/{theirs}", {"action": "delete"})).status_code == 403
    assert await hook_count(clean_db) == 1
    assert len(await deliveries(clean_db)) == 1
