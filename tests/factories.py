"""Small builders for test data through the API (so every test exercises the real write path)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from tests.conftest import OWN_REGION


def overridden(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`data` with `overrides` replacing or adding fields; an override of `...` removes the field."""
    out = {**data, **{k: v for k, v in overrides.items() if v is not ...}}
    for key in [k for k, v in overrides.items() if v is ...]:
        out.pop(key, None)
    return out


async def institution(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"敬老院-{uuid.uuid4().hex[:6]}",
        "kind": "elderly_care",
        "region_code": OWN_REGION,
        "township": "南宾街道",
        **overrides,
    }
    r = await client.post("/api/v1/institutions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def officer(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "谭明",
        "unit": "社会福利中心",
        "region_code": OWN_REGION,
        "certificate_no": f"渝执法{uuid.uuid4().hex[:8]}",
        "certificate_issued_on": "2020-01-01",
        "certificate_expires_on": "2030-12-31",
        **overrides,
    }
    r = await client.post("/api/v1/officers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def inspection_body(institution_id: str, officer_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "institution_id": institution_id,
        "inspected_on": date(2023, 5, 4).isoformat(),
        "type": "routine",
        "officer_ids": officer_ids,
        "summary": "检查消防设施、食品安全台账",
        "hazards": [
            {
                "category": "fire_safety",
                "severity": "general",
                "description": "消防通道堆放杂物",
                "due_on": "2023-05-20",
            },
            {"category": "food", "severity": "major", "description": "食品留样记录缺失"},
        ],
        **overrides,
    }


async def inspect(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    institution_id: str,
    officer_ids: list[str],
    on: str,
    hazards: list[dict[str, Any]],
) -> list[str]:
    """Post an inspection on `on` with `hazards`; returns the hazard ids in order."""
    body = inspection_body(institution_id, officer_ids, inspected_on=on, hazards=hazards)
    r = await client.post("/api/v1/inspections", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return [h["id"] for h in r.json()["hazards"]]


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str, action: str, on: str, note: str | None = None
) -> None:
    body: dict[str, Any] = {"action": action, "on": on, **({"note": note} if note else {})}
    r = await client.post(f"/api/v1/hazards/{hazard_id}/transitions", json=body, headers=headers)
    assert r.status_code == 200, r.text
