"""Default deadlines (限期整改) by severity: a hazard created without `due_on` is due `DUE_WORKING_DAYS_*` working
days after its inspection date on the official calendar; replay compares the request as sent; `hazard.created`
carries the filled-in date (both databases). Known answers across the 2025 National Day holiday: from Friday
2025-09-26 the working days are 09-28 (make-up Sunday), 09-29, 09-30, then 10-09, 10-10, 10-11 (make-up Saturday)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.db.session import Database
from tests import factories
from tests.conftest import Actor
from tests.events.helpers import stored
from tests.hazards.helpers import API
from tests.officers.helpers import assert_problem

FRIDAY = "2025-09-26"


@pytest.fixture
def defaults(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """General hazards due 3 working days after, major ones 5."""
    monkeypatch.setattr(app.state.settings, "DUE_WORKING_DAYS_GENERAL", 3)
    monkeypatch.setattr(app.state.settings, "DUE_WORKING_DAYS_MAJOR", 5)


async def _body(client: httpx.AsyncClient, admin: Actor, hazards: list[dict[str, Any]]) -> dict[str, Any]:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    return factories.inspection_body(inst["id"], officers, inspected_on=FRIDAY, id=str(uuid.uuid4()), hazards=hazards)


def _hazard(severity: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "category": "fire_safety", "severity": severity, "description": "消防通道堵塞"}


@pytest.mark.usefixtures("defaults")
async def test_missing_due_on_is_filled_in_by_severity_and_sent_one_kept(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    explicit = {**_hazard("general"), "due_on": "2025-09-27"}
    body = await _body(client, admin, [_hazard("general"), _hazard("major"), explicit])
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert [h["due_on"] for h in r.json()["hazards"]] == ["2025-09-30", "2025-10-10", "2025-09-27"]
    got = await client.get(f"{API}/hazards/{body['hazards'][1]['id']}", headers=admin.headers)
    assert got.json()["due_on"] == "2025-10-10"
    created = [d["due_on"] for t, _, d in await stored(clean_db) if t == "hazard.created"]
    assert created == ["2025-09-30", "2025-10-10", "2025-09-27"]


@pytest.mark.usefixtures("defaults")
async def test_replay_compares_the_request_as_sent(client: httpx.AsyncClient, clean_db: Database, admin: Actor) -> None:
    body = await _body(client, admin, [_hazard("major")])
    first = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert first.status_code == 201, first.text
    again = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    filled = {**body, "hazards": [{**body["hazards"][0], "due_on": "2025-10-10"}]}
    assert_problem(
        await client.post(f"{API}/inspections", json=filled, headers=admin.headers), 409, ["body", "id"], named=False
    )
    assert len([t for t, _, _ in await stored(clean_db) if t == "hazard.created"]) == 1


@pytest.mark.usefixtures("defaults")
async def test_a_hazard_added_later_gets_the_default_and_replays(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    body = await _body(client, admin, [])
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    url = f"{API}/inspections/{body['id']}/hazards"
    item = _hazard("general")
    for expected in (201, 200):
        added = await client.post(url, json=item, headers=admin.headers)
        assert added.status_code == expected, added.text
        assert added.json()["due_on"] == "2025-09-30"
    sent_filled = await client.post(url, json={**item, "due_on": "2025-09-30"}, headers=admin.headers)
    assert_problem(sent_filled, 409, ["body", "id"], named=False)
    events = [d for t, _, d in await stored(clean_db) if t == "hazard.created"]
    assert [d["due_on"] for d in events] == ["2025-09-30"]


async def test_only_the_set_severity_gets_a_default(
    client: httpx.AsyncClient, app: FastAPI, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "DUE_WORKING_DAYS_MAJOR", 4)
    body = await _body(client, admin, [_hazard("general"), _hazard("major")])
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert [h["due_on"] for h in r.json()["hazards"]] == [None, "2025-10-09"]


@pytest.mark.usefixtures("defaults")
async def test_bad_due_on_is_still_refused_with_defaults(client: httpx.AsyncClient, admin: Actor) -> None:
    body = await _body(client, admin, [{**_hazard("general"), "due_on": "2025-09-25"}])
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert_problem(r, 422, ["body", "hazards", 0, "due_on"])


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "SECRET_KEY", "DUE_WORKING_DAYS_GENERAL", "DUE_WORKING_DAYS_MAJOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_settings_empty_means_no_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _env(monkeypatch, tmp_path, DUE_WORKING_DAYS_GENERAL="", DUE_WORKING_DAYS_MAJOR="10")
    settings = Settings()
    assert (settings.DUE_WORKING_DAYS_GENERAL, settings.DUE_WORKING_DAYS_MAJOR) == (None, 10)
    _env(monkeypatch, tmp_path)
    assert Settings().DUE_WORKING_DAYS_MAJOR is None


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5", "400"])
def test_settings_refuse_a_bad_number_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    _env(monkeypatch, tmp_path, DUE_WORKING_DAYS_MAJOR=value)
    with pytest.raises(ValueError, match="DUE_WORKING_DAYS_MAJOR"):
        Settings()
