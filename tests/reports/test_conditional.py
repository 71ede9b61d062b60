"""Conditional reads (app.auth.conditional): ETag + Cache-Control on reports and lists, 304 for If-None-Match,
and a tag that changes with every change inside the region read and only there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from app.auth.models import Role
from app.core.conditional import parse_if_none_match
from app.core.config import Settings
from app.db.session import Database
from app.reports import service as report_service
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.deadlines.helpers import run_tick, world

API = "/api/v1"
SUMMARY = f"{API}/reports/summary"
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}
POLLED = [
    (SUMMARY, YEAR),
    (f"{API}/reports/breakdown", {**YEAR, "group_by": "township"}),
    (f"{API}/reports/annual", {"year": "2025"}),
    (f"{API}/hazards", {}),
    (f"{API}/inspections", {}),
    (f"{API}/institutions", {}),
    (f"{API}/officers", {}),
    (f"{API}/escalations", {}),
    (f"{API}/follow-ups", {}),
]


async def tag_of(client: httpx.AsyncClient, actor: Actor, url: str = SUMMARY, **params: Any) -> str:
    r = await client.get(url, params=params or YEAR, headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "private, no-cache"
    tag = r.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    return tag


@pytest.fixture
async def county(make_actor: ActorFactory) -> Actor:
    return await make_actor(Role.supervisor, OWN_REGION)


@pytest.mark.parametrize(("url", "params"), POLLED, ids=[u.removeprefix(API) for u, _ in POLLED])
async def test_a_repoll_of_an_unchanged_answer_is_304_without_a_body(
    client: httpx.AsyncClient, admin: Actor, url: str, params: dict[str, str]
) -> None:
    await factories.institution(client, admin.headers)
    r = await client.get(url, params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    tag = r.headers["ETag"]
    assert r.headers["Cache-Control"] == "private, no-cache"
    for condition in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = await client.get(url, params=params, headers={**admin.headers, "If-None-Match": condition})
        assert again.status_code == 304, (condition, again.text)
        assert again.content == b""
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == "private, no-cache"
    stale = await client.get(url, params=params, headers={**admin.headers, "If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == tag


@pytest.mark.parametrize("value", ["garbage", '"unterminated', "W/", ",", '"a" "b"', "é", '"a", junk'])
async def test_a_malformed_if_none_match_is_ignored(client: httpx.AsyncClient, admin: Actor, value: str) -> None:
    tag = await tag_of(client, admin)
    headers = [(k.encode(), v.encode()) for k, v in admin.headers.items()] + [(b"If-None-Match", value.encode())]
    r = await client.get(SUMMARY, params=YEAR, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == tag


def test_if_none_match_parsing() -> None:
    assert parse_if_none_match('"a", W/"b" ,, "c"') == ["a", "b", "c"]
    assert parse_if_none_match('"a" junk') is None
    assert parse_if_none_match("") is None


async def test_every_kind_of_change_inside_the_county_changes_its_tags(
    client: httpx.AsyncClient, admin: Actor, county: Actor, clean_db: Database, settings: Settings
) -> None:
    w = await world(client, admin.headers)
    seen: list[tuple[str, str]] = []

    async def tags() -> tuple[str, str]:
        pair = (await tag_of(client, county), await tag_of(client, admin))
        assert pair not in seen, "a change inside the county kept a tag"
        seen.append(pair)
        return pair

    await tags()
    await factories.inspect(client, admin.headers, w.institution_id, w.officer_ids, "2025-09-22", [])
    await tags()
    await factories.move(client, admin.headers, w.general, "start", "2025-09-23")
    await tags()
    r = await client.patch(f"{API}/institutions/{w.institution_id}", json={"name": "新名字"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    await tags()
    escalations = await tag_of(client, county, f"{API}/escalations", status="open")
    result = await run_tick(clean_db, settings, "2025-10-10")
    assert result.escalations, "the tick raised nothing: the test proves nothing"
    await tags()
    assert await tag_of(client, county, f"{API}/escalations", status="open") != escalations
    r = await client.patch(f"{API}/officers/{w.officer_ids[0]}", json={"unit": "殡葬事务中心"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    await tags()


async def test_a_change_in_another_county_keeps_the_county_tag_but_not_the_national_one(
    client: httpx.AsyncClient, admin: Actor, county: Actor
) -> None:
    own_filter = {**YEAR, "region_code": OWN_REGION}
    county_tag, scoped_tag, national = (
        await tag_of(client, county),
        await tag_of(client, admin, **own_filter),
        await tag_of(client, admin),
    )
    await world(client, admin.headers, region_code=OTHER_REGION)
    assert await tag_of(client, county) == county_tag
    assert await tag_of(client, admin, **own_filter) == scoped_tag
    assert await tag_of(client, admin) != national
    await factories.institution(client, admin.headers)
    assert await tag_of(client, county) != county_tag
    assert await tag_of(client, admin, **own_filter) != scoped_tag


async def test_callers_and_query_strings_never_share_a_tag(
    client: httpx.AsyncClient, admin: Actor, county: Actor, make_actor: ActorFactory
) -> None:
    other_county = await make_actor(Role.supervisor, OTHER_REGION)
    same_scope = await make_actor(Role.viewer, OWN_REGION)
    tags = {
        await tag_of(client, admin),
        await tag_of(client, county),
        await tag_of(client, other_county),
        await tag_of(client, same_scope),
        await tag_of(client, admin, **{**YEAR, "region_code": OWN_REGION}),
        await tag_of(client, admin, **{**YEAR, "as_of": "2025-06-30"}),
        await tag_of(client, admin, **{"from": "2025-01-01", "to": "2025-06-30"}),
    }
    assert len(tags) == 7
    r = await client.get(SUMMARY, params=YEAR, headers={**county.headers, "If-None-Match": await tag_of(client, admin)})
    assert r.status_code == 200


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_a_304_runs_no_report_query(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world(client, admin.headers)
    tag = await tag_of(client, admin)

    async def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the report was computed for a 304")

    monkeypatch.setattr(report_service, "summary", must_not_run)
    with statements(clean_db) as seen:
        r = await client.get(SUMMARY, params=YEAR, headers={**admin.headers, "If-None-Match": tag})
    assert r.status_code == 304
    data = [s for s in seen if "data_versions" not in s and "users" not in s and "SAVEPOINT" not in s.upper()]
    assert data == [], data
    assert sum("data_versions" in s for s in seen) == 1


async def test_outside_the_scope_is_still_403_whatever_the_condition(client: httpx.AsyncClient, county: Actor) -> None:
    r = await client.get(
        SUMMARY, params={**YEAR, "region_code": OTHER_REGION}, headers={**county.headers, "If-None-Match": "*"}
    )
    assert r.status_code == 403, r.text


async def test_the_annual_docx_has_its_own_tag(client: httpx.AsyncClient, admin: Actor) -> None:
    text = await tag_of(client, admin, f"{API}/reports/annual", year="2025")
    docx = await tag_of(client, admin, f"{API}/reports/annual", year="2025", format="docx")
    assert text != docx
    r = await client.get(
        f"{API}/reports/annual",
        params={"year": "2025", "format": "docx"},
        headers={**admin.headers, "If-None-Match": docx},
    )
    assert r.status_code == 304 and r.content == b""


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (f"{API}/institutions", {"limit": "1.5"}),
        (SUMMARY, {"from": "2025-12-31", "to": "2025-01-01"}),
        (f"{API}/reports/breakdown", {**YEAR, "group_by": "nothing"}),
    ],
)
async def test_a_refused_request_is_refused_whatever_the_condition(
    client: httpx.AsyncClient, admin: Actor, url: str, params: dict[str, str]
) -> None:
    r = await client.get(url, params=params, headers={**admin.headers, "If-None-Match": "*"})
    assert r.status_code == 422, r.text


async def test_register_writes_without_events_change_the_tags_too(
    client: httpx.AsyncClient, admin: Actor, county: Actor
) -> None:
    """Regions, trainings: writes that record no event touch their region themselves (app.db.versions)."""
    officer = await factories.officer(client, admin.headers)
    url, params = f"{API}/reports/breakdown", {**YEAR, "group_by": "township"}
    before = await tag_of(client, county, url, **params)
    r = await client.put(f"{API}/regions/500240001", json={"name": "南宾街道"}, headers=admin.headers)
    assert r.status_code in (200, 201), r.text
    after_region = await tag_of(client, county, url, **params)
    assert after_region != before
    training = {"held_on": "2025-03-12", "hours": 4, "topic": "《行政处罚法》专题培训"}
    r = await client.post(f"{API}/officers/{officer['id']}/trainings", json=training, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert await tag_of(client, county, url, **params) != after_region
