"""POST/GET/PATCH/DELETE /webhooks: admins only, inside their region, the secret shown once, every URL checked
(both databases)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.db.session import Database
from app.events.webhooks.models import Webhook
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.problems import error_locs

HOOKS = "/api/v1/webhooks"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")


async def _create(client: httpx.AsyncClient, actor: Actor, url: str, **body: object) -> httpx.Response:
    return await client.post(HOOKS, json={"url": url, **body}, headers=actor.headers)


async def test_anonymous_401_and_non_admins_403(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    assert (await client.get(HOOKS)).status_code == 401
    assert (await client.post(HOOKS, json={"url": "https://8.8.8.8/"})).status_code == 401
    for role in (Role.supervisor, Role.inspector, Role.viewer):
        actor = await make_actor(role)
        assert (await client.get(HOOKS, headers=actor.headers)).status_code == 403
        assert (await _create(client, actor, "https://8.8.8.8/")).status_code == 403


@pytest.fixture
async def county_admin(make_actor: ActorFactory) -> Actor:
    return await make_actor(Role.admin, region_code=OWN_REGION)


async def test_create_shows_the_secret_once_and_reads_never(
    client: httpx.AsyncClient, county_admin: Actor, allow_loopback: object, clean_db: Database
) -> None:
    admin = county_admin
    r = await _create(client, admin, "http://127.0.0.1:9/hook", event_types=["hazard.created"], description="省平台")
    assert r.status_code == 201, r.text
    made = r.json()
    assert SECRET.fullmatch(made["secret"])
    assert made["region_code"] == OWN_REGION and made["enabled"] is True
    assert made["event_types"] == ["hazard.created"] and made["description"] == "省平台"
    assert r.headers["location"] == f"{HOOKS}/{made['id']}"
    one = await client.get(f"{HOOKS}/{made['id']}", headers=admin.headers)
    assert one.status_code == 200 and "secret" not in one.json()
    listed = await client.get(HOOKS, headers=admin.headers)
    assert [w["id"] for w in listed.json()["items"]] == [made["id"]]
    assert "secret" not in listed.json()["items"][0]
    async with clean_db.sessionmaker() as s:
        assert (await s.scalar(select(Webhook.secret))) == made["secret"]


async def test_another_countys_admin_sees_nothing_and_cannot_subscribe_outside(
    client: httpx.AsyncClient, county_admin: Actor, make_actor: ActorFactory, allow_loopback: object
) -> None:
    admin = county_admin
    made = (await _create(client, admin, "http://127.0.0.1:9/hook")).json()
    other = await make_actor(Role.admin, region_code=OTHER_REGION)
    assert (await client.get(HOOKS, headers=other.headers)).json()["items"] == []
    for method in ("GET", "DELETE"):
        r = await client.request(method, f"{HOOKS}/{made['id']}", headers=other.headers)
        assert r.status_code == 404, (method, r.text)
    r = await client.patch(f"{HOOKS}/{made['id']}", json={"enabled": False}, headers=other.headers)
    assert r.status_code == 404
    r = await _create(client, other, "http://127.0.0.1:9/hook", region_code=OWN_REGION)
    assert r.status_code == 403, r.text
    province = await make_actor(Role.admin, region_code="50")
    assert [w["id"] for w in (await client.get(HOOKS, headers=province.headers)).json()["items"]] == [made["id"]]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hook",
        "file:///etc/passwd",
        "http://user:pw@127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "http://8.8.8.8/hook",
        "https://no-such-host.invalid/hook",
        "not a url",
        "https:///nohost",
    ],
)
async def test_a_url_that_may_not_receive_is_422_naming_url(
    client: httpx.AsyncClient, admin: Actor, url: str, clean_db: Database
) -> None:
    r = await _create(client, admin, url)
    assert r.status_code == 422, r.text
    assert ["body", "url"] in error_locs(r.json())
    async with clean_db.sessionmaker() as s:
        assert (await s.scalar(select(Webhook.id))) is None


async def test_loopback_only_when_allowed(client: httpx.AsyncClient, admin: Actor, allow_loopback: object) -> None:
    assert (await _create(client, admin, "http://127.0.0.1:9/hook")).status_code == 201
    assert (await _create(client, admin, "http://10.0.0.1/hook")).status_code == 422


async def test_bad_bodies_are_422_naming_the_field(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await _create(client, admin, "https://8.8.8.8/", event_types=["no.such"])
    assert r.status_code == 422 and any(loc[:2] == ["body", "event_types"] for loc in error_locs(r.json()))
    r = await _create(client, admin, "https://8.8.8.8/", region_code="abc")
    assert r.status_code == 422 and ["body", "region_code"] in error_locs(r.json())
    r = await client.post(HOOKS, json={}, headers=admin.headers)
    assert r.status_code == 422 and ["body", "url"] in error_locs(r.json())


async def test_patch_changes_checks_the_url_and_delete_removes(
    client: httpx.AsyncClient, admin: Actor, allow_loopback: object
) -> None:
    made = (await _create(client, admin, "http://127.0.0.1:9/hook")).json()
    url = f"{HOOKS}/{made['id']}"
    r = await client.patch(url, json={"enabled": False, "event_types": ["draw.created"]}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["event_types"] == ["draw.created"]
    r = await client.patch(url, json={"url": "https://10.0.0.1/x"}, headers=admin.headers)
    assert r.status_code == 422 and ["body", "url"] in error_locs(r.json())
    r = await client.patch(url, json={"url": None}, headers=admin.headers)
    assert r.status_code == 422 and ["body", "url"] in error_locs(r.json())
    assert (await client.get(url, headers=admin.headers)).json()["url"] == "http://127.0.0.1:9/hook"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.get(url, headers=admin.headers)).status_code == 404
    assert (await client.delete(url, headers=admin.headers)).status_code == 404
