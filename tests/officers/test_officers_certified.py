"""`certified` (today, Asia/Shanghai) and the list filter `certified_on=DATE`, for every reason an officer
is or is not certified. "Today" is pinned with `frozen_clock` at 2024-06-15 (Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import frozen_clock
from tests.conftest import Actor
from tests.officers.helpers import NOON, OFFICERS_URL, create_officer

# name → (certificate fields, certified on 2024-06-15?)
CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "有效": ({"certificate_issued_on": "2020-01-01", "certificate_expires_on": "2030-12-31"}, True),
    "无证": (
        {"certificate_no": None, "certificate_issued_on": "2020-01-01", "certificate_expires_on": "2030-12-31"},
        False,
    ),
    "暂扣": ({"certificate_status": "suspended"}, False),
    "吊销": ({"certificate_status": "revoked"}, False),
    "已过期": ({"certificate_issued_on": "2019-01-01", "certificate_expires_on": "2024-06-14"}, False),
    "今日到期": ({"certificate_issued_on": "2019-01-01", "certificate_expires_on": "2024-06-15"}, True),
    "尚未生效": ({"certificate_issued_on": "2024-06-16", "certificate_expires_on": "2029-06-15"}, False),
    "今日生效": ({"certificate_issued_on": "2024-06-15", "certificate_expires_on": "2029-06-15"}, True),
    "无期限": ({"certificate_issued_on": None, "certificate_expires_on": None}, True),
    "仅发证日": ({"certificate_issued_on": "2024-06-01", "certificate_expires_on": None}, True),
    "仅到期日": ({"certificate_issued_on": None, "certificate_expires_on": "2024-07-01"}, True),
    "仅未来发证日": ({"certificate_issued_on": "2024-07-01", "certificate_expires_on": None}, False),
    "仅过去到期日": ({"certificate_issued_on": None, "certificate_expires_on": "2024-06-01"}, False),
}


@pytest.fixture
async def officers(client: httpx.AsyncClient, admin: Actor) -> dict[str, dict[str, Any]]:
    """One officer per case, created with the clock pinned; keyed by name."""
    with frozen_clock(NOON):
        return {
            name: await create_officer(client, admin.headers, name=name, **fields)
            for name, (fields, _) in CASES.items()
        }


async def _names(client: httpx.AsyncClient, actor: Actor, **params: Any) -> set[str]:
    r = await client.get(OFFICERS_URL, params={"limit": 500, **params}, headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return {o["name"] for o in r.json()["items"]}


@pytest.mark.parametrize("name", list(CASES))
async def test_certified_today_in_create_read_and_list(
    client: httpx.AsyncClient, admin: Actor, officers: dict[str, dict[str, Any]], name: str
) -> None:
    expected = CASES[name][1]
    assert officers[name]["certified"] is expected
    with frozen_clock(NOON):
        got = await client.get(f"{OFFICERS_URL}/{officers[name]['id']}", headers=admin.headers)
        assert got.status_code == 200
        assert got.json()["certified"] is expected
        listed = await client.get(OFFICERS_URL, params={"q": name, "limit": 500}, headers=admin.headers)
    by_name = {o["name"]: o for o in listed.json()["items"]}
    assert by_name[name]["certified"] is expected


async def test_certified_on_filter_matches_each_case(
    client: httpx.AsyncClient, admin: Actor, officers: dict[str, dict[str, Any]]
) -> None:
    expected = {name for name, (_, certified) in CASES.items() if certified}
    assert await _names(client, admin, certified_on="2024-06-15") == expected
    assert len(expected) < len(CASES)  # the filter really drops officers


async def test_certified_on_uses_the_given_date_not_today(
    client: httpx.AsyncClient, admin: Actor, officers: dict[str, dict[str, Any]]
) -> None:
    # On 2024-06-20 the certificate issued on 2024-06-16 has become valid and those that ended on
    # 2024-06-14/15 have lapsed; the one starting 2024-07-01 has not started yet.
    assert await _names(client, admin, certified_on="2024-06-20") == {
        "有效",
        "尚未生效",
        "今日生效",
        "无期限",
        "仅发证日",
        "仅到期日",
    }
    # Long before anything was issued only the certificates without a start date count.
    assert await _names(client, admin, certified_on="2010-01-01") == {"无期限", "仅到期日", "仅过去到期日"}
    # After every end date.
    assert await _names(client, admin, certified_on="2031-01-01") == {"无期限", "仅发证日", "仅未来发证日"}
    # Without the filter every officer is listed.
    assert await _names(client, admin) == set(CASES)


async def test_certified_on_must_be_a_date(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(OFFICERS_URL, params={"certified_on": "2024-13-01"}, headers=admin.headers)
    assert r.status_code == 422
    assert ["query", "certified_on"] in [e["loc"] for e in r.json()["errors"]]


async def test_certified_follows_the_shanghai_calendar(client: httpx.AsyncClient, admin: Actor) -> None:
    officer = await create_officer(
        client, admin.headers, certificate_issued_on="2024-01-02", certificate_expires_on="2024-06-15"
    )
    url = f"{OFFICERS_URL}/{officer['id']}"

    async def certified_at(at: datetime) -> bool:
        with frozen_clock(at):
            r = await client.get(url, headers=admin.headers)
        assert r.status_code == 200
        result: bool = r.json()["certified"]
        return result

    # 2024-01-01T17:00Z is already 2024-01-02 01:00 in Shanghai: the first valid day.
    assert await certified_at(datetime(2024, 1, 1, 15, 59, tzinfo=UTC)) is False
    assert await certified_at(datetime(2024, 1, 1, 17, 0, tzinfo=UTC)) is True
    # 2024-06-15T15:59Z is 23:59 on the last valid day; a minute later it has expired.
    assert await certified_at(datetime(2024, 6, 15, 15, 59, tzinfo=UTC)) is True
    assert await certified_at(datetime(2024, 6, 15, 16, 0, tzinfo=UTC)) is False


async def test_certified_changes_with_the_certificate(client: httpx.AsyncClient, admin: Actor) -> None:
    officer = await create_officer(
        client, admin.headers, certificate_issued_on="2020-01-01", certificate_expires_on="2030-12-31"
    )
    url = f"{OFFICERS_URL}/{officer['id']}"
    with frozen_clock(NOON):
        steps: list[tuple[dict[str, Any], bool]] = [
            ({"certificate_status": "suspended"}, False),
            ({"certificate_status": "valid"}, True),
            ({"certificate_expires_on": "2024-06-14"}, False),
            ({"certificate_expires_on": None}, True),
            ({"certificate_no": None}, False),
            ({"certificate_no": "渝执法-重新发证"}, True),
            ({"certificate_status": "revoked"}, False),
        ]
        for change, expected in steps:
            r = await client.patch(url, json=change, headers=admin.headers)
            assert r.status_code == 200, r.text
            assert r.json()["certified"] is expected, change
            names = await _names(client, admin, certified_on="2024-06-15")
            assert (officer["name"] in names) is expected, change
