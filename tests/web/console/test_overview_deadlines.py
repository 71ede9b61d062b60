"""总览's deadline lists: open escalations (未解除的督办) and follow-ups not done (待回头看), inside the caller's
region (both databases)."""

from __future__ import annotations

import re

import httpx

from app.core.config import Settings
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.deadlines.helpers import API, run_tick, world
from tests.web.console.test_sessions import sign_in


def _section(html: str, title_id: str) -> str:
    return html.split(f'id="{title_id}"', 1)[1].split("</section>", 1)[0]


async def test_open_escalations_and_follow_ups_due_in_the_callers_region(
    client: httpx.AsyncClient, clean_db: Database, settings: Settings, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", "")
    w = await world(client, admin.headers)  # OWN_REGION: a general and a major hazard due 2025-09-30
    await run_tick(clean_db, settings, "2025-10-09")  # 催办 for the general one, 督办 for the major one
    for action, on in (("rectify", "2025-10-10"), ("verify", "2025-10-13")):  # the major one: resolved, 回头看 due
        body = {"action": action, "on": on, "note": "已整改"}
        r = await client.post(f"{API}/hazards/{w.major}/transitions", json=body, headers=admin.headers)
        assert r.status_code == 200, r.text

    viewer = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, viewer.username)).status_code == 303
    r = await client.get("/console/?year=2025")
    assert r.status_code == 200, r.text
    escalations = _section(r.text, "escalations-title")
    assert re.findall(r"<td>(催办|督办|约谈|挂牌督办)</td>", escalations) == ["催办"]  # the major one's is resolved
    assert f'href="/console/hazards/{w.general}"' in escalations and "2025-10-09" in escalations
    follow_ups = _section(r.text, "follow-ups-title")
    assert f'href="/console/hazards/{w.major}"' in follow_ups and "已逾期" in follow_ups  # due long before today

    client.cookies.clear()
    other = await make_actor("viewer", OTHER_REGION)
    assert (await sign_in(client, other.username)).status_code == 303
    r = await client.get("/console/?year=2025")
    assert "目前没有未解除的催办" in _section(r.text, "escalations-title")
    assert "目前没有待回头看的重大隐患" in _section(r.text, "follow-ups-title")
    assert w.general not in r.text and w.major not in r.text


async def test_the_hazard_page_lists_its_escalations(
    client: httpx.AsyncClient, clean_db: Database, settings: Settings, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", "")
    w = await world(client, admin.headers)
    await run_tick(clean_db, settings, "2025-10-09")  # 督办 for the major one (and 催办 for the general one)
    body = {"action": "rectify", "on": "2025-10-10", "note": "已整改"}
    assert (await client.post(f"{API}/hazards/{w.major}/transitions", json=body, headers=admin.headers)).is_success
    viewer = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, viewer.username)).status_code == 303
    shown = _section((await client.get(f"/console/hazards/{w.major}")).text, "escalations-title")
    assert re.findall(r"<td>(催办|督办|约谈|挂牌督办)</td>", shown) == ["督办"]
    assert "已解除" in shown and "2025-10-10" in shown
    shown = _section((await client.get(f"/console/hazards/{w.general}")).text, "escalations-title")
    assert re.findall(r"<td>(催办|督办|约谈|挂牌督办)</td>", shown) == ["催办"] and "未解除" in shown
