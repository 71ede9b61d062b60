"""Every (state × action × role) move through POST /hazards/{hazard_id}/transitions, on both databases,
and the date and note rules as the API answers them (422 naming the field).

A hazard is driven into its state by an admin with the fewest moves, then one user of the role under test
attempts the action. Checked: the status code, the stored hazard afterwards (status, rectified_on,
verified_on, ETag) and the history (one new, complete entry on success; untouched on failure).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import frozen_clock
from app.db.session import Database
from tests.conftest import OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import (
    ACT_ON,
    FOUND_ON,
    SETUP_MOVES,
    assert_problem,
    drive,
    history,
    move,
    new_hazard,
    read,
    seed_hazard,
)

# Written out from API.md independently of app.hazards.workflow: (from, action) -> to.
MOVES = {
    ("open", "start"): "rectifying",
    ("open", "rectify"): "rectified",
    ("rectifying", "rectify"): "rectified",
    ("rectified", "verify"): "verified",
    ("rectified", "reject"): "rectifying",
    ("open", "void"): "voided",
    ("rectifying", "void"): "voided",
    ("rectified", "void"): "voided",
}
FIELD_ACTIONS = {"start", "rectify"}  # inspector, supervisor, admin
MANAGER_ACTIONS = {"verify", "reject", "void"}  # supervisor, admin
STATES = ["open", "rectifying", "rectified", "verified", "voided"]
ACTIONS = ["start", "rectify", "verify", "reject", "void"]
ROLES = ["admin", "supervisor", "inspector", "viewer"]

# What each state looks like after SETUP_MOVES (rectified_on, verified_on).
SETUP_DATES: dict[str, tuple[str | None, str | None]] = {
    "open": (None, None),
    "rectifying": (None, None),
    "rectified": ("2023-05-06", None),
    "verified": ("2023-05-06", "2023-05-07"),
    "voided": (None, None),
}


def expected_code(state: str, action: str, role: str) -> int:
    if role == "viewer":
        return 403  # cannot write anything
    if role == "inspector" and action in MANAGER_ACTIONS:
        return 403
    assert action in FIELD_ACTIONS | MANAGER_ACTIONS
    return 200 if (state, action) in MOVES else 409


def expected_dates(state: str, action: str) -> tuple[str | None, str | None]:
    rectified_on, verified_on = SETUP_DATES[state]
    if action == "rectify":
        rectified_on = ACT_ON
    elif action == "verify":
        verified_on = ACT_ON
    elif action == "reject":
        rectified_on = None
    return rectified_on, verified_on


def test_matrix_expectations_are_complete() -> None:
    codes = [expected_code(*c) for c in itertools.product(STATES, ACTIONS, ROLES)]
    assert len(codes) == 100
    assert (codes.count(200), codes.count(403), codes.count(409)) == (19, 25 + 5 * 3, 100 - 19 - 40)


def _entries(history: list[dict[str, Any]]) -> list[tuple[str, str | None, str, str | None]]:
    return [(h["action"], h["from"], h["to"], h["on"]) for h in history]


def _setup_entries(state: str) -> list[tuple[str, str | None, str, str | None]]:
    entries: list[tuple[str, str | None, str, str | None]] = [("create", None, "open", FOUND_ON)]
    for action, on in SETUP_MOVES[state]:
        entries.append((action, entries[-1][2], MOVES[(entries[-1][2], action)], on))
    return entries


@pytest.mark.parametrize(("state", "action", "role"), list(itertools.product(STATES, ACTIONS, ROLES)))
async def test_transition_matrix(
    client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    make_actor: ActorFactory,
    state: str,
    action: str,
    role: str,
) -> None:
    hazard_id = await seed_hazard(clean_db)
    await drive(client, admin.headers, hazard_id, state)
    before, etag = await read(client, admin.headers, hazard_id)
    assert (before["status"], before["rectified_on"], before["verified_on"]) == (state, *SETUP_DATES[state])
    actor = await make_actor(role, OWN_REGION)

    r = await move(client, actor.headers, hazard_id, action, ACT_ON, note="现场复查")

    code = expected_code(state, action, role)
    after, etag_after = await read(client, admin.headers, hazard_id)
    hist = await history(client, admin.headers, hazard_id)
    assert [h["seq"] for h in hist] == list(range(1, len(hist) + 1))
    if code != 200:
        assert_problem(r, code)
        assert after == before
        assert etag_after == etag
        assert _entries(hist) == _setup_entries(state)
        return
    assert r.status_code == 200, r.text
    target = MOVES[(state, action)]
    rectified_on, verified_on = expected_dates(state, action)
    assert (after["status"], after["rectified_on"], after["verified_on"]) == (target, rectified_on, verified_on)
    assert r.json() == after
    assert r.headers["etag"] == etag_after != etag
    assert _entries(hist) == [*_setup_entries(state), (action, state, target, ACT_ON)]
    entry = hist[-1]
    assert (entry["note"], entry["evidence_ids"]) == ("现场复查", [])
    assert (entry["actor_id"], entry["actor_name"], entry["actor_role"]) == (str(actor.user_id), actor.username, role)
    assert datetime.fromisoformat(entry["at"]) >= datetime.fromisoformat(hist[-2]["at"])


# --- 422: dates and notes --------------------------------------------------------------------------------

TODAY_PINNED = datetime(2023, 6, 1, 10, 0, tzinfo=UTC)  # 2023-06-01 in Shanghai too

INVALID = [
    pytest.param("open", "rectify", "2023-06-02", "x", ["body", "on"], id="future"),
    pytest.param("rectified", "verify", "2023-06-02", None, ["body", "on"], id="verify-future"),
    pytest.param("open", "start", "2023-05-03", None, ["body", "on"], id="before-found"),
    pytest.param("rectifying", "void", "2023-05-03", "误登记", ["body", "on"], id="void-before-found"),
    pytest.param("rectified", "verify", "2023-05-05", None, ["body", "on"], id="verify-before-rectified"),
    pytest.param("open", "void", ACT_ON, None, ["body", "note"], id="void-no-note"),
    pytest.param("rectifying", "void", ACT_ON, "", ["body", "note"], id="void-empty-note"),
    pytest.param("rectified", "void", ACT_ON, " \t\n", ["body", "note"], id="void-blank-note"),
]


@pytest.mark.parametrize(("state", "action", "on", "note", "loc"), INVALID)
async def test_invalid_date_or_note_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    state: str,
    action: str,
    on: str,
    note: str | None,
    loc: list[str],
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, state)
    before, etag = await read(client, admin.headers, hazard_id)
    history_before = await history(client, admin.headers, hazard_id)
    supervisor = await make_actor("supervisor", OWN_REGION)
    with frozen_clock(TODAY_PINNED):
        r = await move(client, supervisor.headers, hazard_id, action, on, note=note)
    body = assert_problem(r, 422, loc)
    assert ".".join(loc) in body["detail"]
    after, etag_after = await read(client, admin.headers, hazard_id)
    assert after == before and etag_after == etag
    assert await history(client, admin.headers, hazard_id) == history_before


async def test_on_today_is_allowed(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    with frozen_clock(TODAY_PINNED):
        r = await move(client, admin.headers, hazard_id, "rectify", "2023-06-01")
    assert r.status_code == 200, r.text
    assert r.json()["rectified_on"] == "2023-06-01"


async def test_rectified_on_the_spot(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    """即查即改: rectified and verified the day it was found."""
    inspector = await make_actor("inspector", OWN_REGION)
    supervisor = await make_actor("supervisor", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    r = await move(client, inspector.headers, hazard_id, "rectify", FOUND_ON, note="现场整改")
    assert r.status_code == 200, r.text
    r = await move(client, supervisor.headers, hazard_id, "verify", FOUND_ON)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["rectified_on"], r.json()["verified_on"]) == ("verified", FOUND_ON, FOUND_ON)
    hist = await history(client, admin.headers, hazard_id)
    assert [(h["action"], h["on"], h["actor_role"]) for h in hist] == [
        ("create", FOUND_ON, "admin"),
        ("rectify", FOUND_ON, "inspector"),
        ("verify", FOUND_ON, "supervisor"),
    ]


async def test_checks_run_role_then_state_then_dates(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    inspector = await make_actor("inspector", OWN_REGION)
    hazard_id = await new_hazard(client, admin.headers)
    await drive(client, admin.headers, hazard_id, "verified")
    # forbidden role with an illegal move and a bad date: 403
    assert_problem(await move(client, inspector.headers, hazard_id, "void", "2023-05-01", note=" "), 403)
    # allowed role, illegal move, bad date: 409
    assert_problem(await move(client, admin.headers, hazard_id, "void", "2023-05-01", note=" "), 409)


BAD_BODIES = [
    pytest.param({"action": "close"}, ["body", "action"], id="unknown-action"),
    pytest.param({}, ["body", "action"], id="missing-action"),
    pytest.param({"action": "start", "on": "2023-13-01"}, ["body", "on"], id="bad-date"),
    pytest.param({"action": "start", "reason": "x"}, ["body", "reason"], id="unknown-field"),
    pytest.param({"action": "void", "note": "x" * 2001}, ["body", "note"], id="note-too-long"),
    pytest.param({"action": "start", "evidence_ids": ["not-a-uuid"]}, ["body", "evidence_ids", 0], id="bad-id"),
]


@pytest.mark.parametrize(("body", "loc"), BAD_BODIES)
async def test_malformed_transition_is_422(
    client: httpx.AsyncClient, admin: Actor, body: dict[str, Any], loc: list[str | int]
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    r = await client.post(f"/api/v1/hazards/{hazard_id}/transitions", json=body, headers=admin.headers)
    assert_problem(r, 422, loc)
    assert (await read(client, admin.headers, hazard_id))[0]["status"] == "open"
    assert len(await history(client, admin.headers, hazard_id)) == 1
