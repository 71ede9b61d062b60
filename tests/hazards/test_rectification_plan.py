"""The rectification plan (整改方案, 五落实): set at creation or by the `plan` action, kept in history entry by
entry, validated field by field; `plan` keeps the status and is refused where the workflow has ended (both
databases)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db.session import Database
from tests import factories
from tests.conftest import OTHER_REGION, Actor, ActorFactory
from tests.events.helpers import stored
from tests.hazards.helpers import API, hazard_url, move, moved, new_inspection, seed_hazard

PLAN = {"measures": "清理消防通道,设置禁止堆放标识", "responsible_person": "张三(院长)", "funds": "2000元"}
NEW_PLAN = {"measures": "增设货架,杂物入库", "responsible_person": "李四", "deadline_note": "5月10日前完成"}


async def _inspection_with_plan(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    hazards = [
        {
            "category": "fire_safety",
            "severity": "general",
            "description": "消防通道堆放杂物",
            "rectification_plan": PLAN,
        },
        {"category": "food", "severity": "major", "description": "食品留样记录缺失"},
    ]
    return await new_inspection(client, headers, hazards=hazards)


async def _history(client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str) -> list[dict[str, Any]]:
    r = await client.get(hazard_url(hazard_id, "/history"), headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_plan_set_at_creation_then_replaced_keeps_every_version_in_history(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    with_plan, without = (await _inspection_with_plan(client, admin.headers))["hazards"]
    assert with_plan["rectification_plan"] == {**PLAN, "deadline_note": None}
    assert without["rectification_plan"] is None
    before = (await client.get(hazard_url(with_plan["id"]), headers=admin.headers)).headers["ETag"]

    r = await move(
        client, admin.headers, with_plan["id"], "plan", "2023-05-05", note="方案调整", rectification_plan=NEW_PLAN
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"  # the status is kept
    assert r.json()["rectification_plan"] == {**NEW_PLAN, "funds": None}
    assert r.headers["ETag"] != before  # a plan is a change: a stale page gets 412
    await moved(client, admin.headers, with_plan["id"], "start", "2023-05-06")
    r = await move(client, admin.headers, with_plan["id"], "plan", "2023-05-07", rectification_plan=PLAN)
    assert r.status_code == 200 and r.json()["status"] == "rectifying"

    history = await _history(client, admin.headers, with_plan["id"])
    assert [(h["action"], h["from"], h["to"]) for h in history] == [
        ("create", None, "open"),
        ("plan", "open", "open"),
        ("start", "open", "rectifying"),
        ("plan", "rectifying", "rectifying"),
    ]
    plans = [h["rectification_plan"] for h in history]
    assert plans[0]["measures"] == PLAN["measures"] and plans[1]["measures"] == NEW_PLAN["measures"]
    assert plans[2] is None and plans[3]["measures"] == PLAN["measures"]
    read = (await client.get(hazard_url(with_plan["id"]), headers=admin.headers)).json()
    assert read["rectification_plan"]["measures"] == PLAN["measures"]
    listed = (await client.get(f"{API}/hazards?status=rectifying", headers=admin.headers)).json()["items"]
    assert [h["rectification_plan"]["responsible_person"] for h in listed] == ["张三(院长)"]
    moves = [d["action"] for kind, _, d in await stored(clean_db) if kind == "hazard.transitioned"]
    assert moves == ["plan", "start", "plan"]


async def test_the_plan_action_needs_a_plan_and_other_actions_refuse_one(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    hazard = (await _inspection_with_plan(client, admin.headers))["hazards"][1]["id"]
    r = await move(client, admin.headers, hazard, "plan", "2023-05-05")
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "rectification_plan"]
    r = await move(client, admin.headers, hazard, "start", "2023-05-05", rectification_plan=PLAN)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "rectification_plan"]
    assert len(await _history(client, admin.headers, hazard)) == 1  # nothing written


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ({"responsible_person": "张三"}, "measures"),
        ({"measures": "  ", "responsible_person": "张三"}, "measures"),
        ({"measures": "清理", "responsible_person": ""}, "responsible_person"),
        ({"measures": "清理", "responsible_person": "张" * 201}, "responsible_person"),
        ({"measures": "清理", "responsible_person": "张三", "funds": 2000}, "funds"),
        ({"measures": "清理", "responsible_person": "张三", "owner": "x"}, "owner"),
    ],
)
async def test_a_bad_plan_is_422_naming_its_field(
    client: httpx.AsyncClient, admin: Actor, plan: dict[str, Any], field: str
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    hazards = [{"category": "other", "severity": "general", "description": "问题", "rectification_plan": plan}]
    body = factories.inspection_body(inst["id"], officers, hazards=hazards)
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert ["body", "hazards", 0, "rectification_plan", field] in [e["loc"] for e in r.json()["errors"]]
    assert (await client.get(f"{API}/inspections", headers=admin.headers)).json()["items"] == []


async def test_no_plan_once_rectified_verified_or_voided(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard = (await _inspection_with_plan(client, admin.headers))["hazards"][0]["id"]
    await moved(client, admin.headers, hazard, "rectify", "2023-05-06")
    r = await move(client, admin.headers, hazard, "plan", "2023-05-07", rectification_plan=NEW_PLAN)
    assert r.status_code == 409
    assert (await client.get(hazard_url(hazard), headers=admin.headers)).json()["rectification_plan"]["measures"] == (
        PLAN["measures"]
    )


async def test_who_may_set_a_plan(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    hazard = (await _inspection_with_plan(client, admin.headers))["hazards"][0]["id"]
    viewer = await make_actor("viewer", "")
    r = await move(client, viewer.headers, hazard, "plan", "2023-05-05", rectification_plan=NEW_PLAN)
    assert r.status_code == 403
    other = await make_actor("supervisor", OTHER_REGION)
    r = await move(client, other.headers, hazard, "plan", "2023-05-05", rectification_plan=NEW_PLAN)
    assert r.status_code == 404
    body = {"action": "plan", "on": "2023-05-05", "rectification_plan": NEW_PLAN}
    assert (await client.post(hazard_url(hazard, "/transitions"), json=body)).status_code == 401


@pytest.mark.real_commits
async def test_the_history_action_constraint_still_holds(clean_db: Database) -> None:
    """The migration that allowed `plan` rebuilt the CHECK constraint (SQLite recreates the table)."""
    hazard = await seed_hazard(clean_db)
    insert = text(
        "INSERT INTO hazard_history (id, hazard_id, seq, action, to_status, evidence_ids, actor_id,"
        " actor_name, actor_role, at) VALUES (:id, :hazard, :seq, :action, 'open', '[]', :id, 'x', 'admin',"
        " CURRENT_TIMESTAMP)"
    )
    hazard_id = uuid.UUID(hazard).hex if clean_db.is_sqlite else uuid.UUID(hazard)  # CHAR(32) on SQLite
    keys = [uuid.uuid4().hex if clean_db.is_sqlite else uuid.uuid4() for _ in range(2)]
    async with clean_db.engine.connect() as conn:
        await conn.execute(insert, {"id": keys[0], "hazard": hazard_id, "seq": 2, "action": "plan"})
        with pytest.raises(IntegrityError, match=r"(?i)check"):
            await conn.execute(insert, {"id": keys[1], "hazard": hazard_id, "seq": 3, "action": "bogus"})
        await conn.rollback()
