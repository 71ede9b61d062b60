"""A county with a plan: 4 elderly-care institutions in two townships (one closed, one funeral outside the
plan's kinds), 5 certified officers and one expired, in region 500240; one institution in 500101."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor

PLANS = "/api/v1/plans"


@dataclass(frozen=True)
class County:
    admin: Actor
    plan: dict[str, Any]
    institutions: dict[str, str]
    officers: list[str]
    expired_officer: str


def plan_body(**overrides: Any) -> dict[str, Any]:
    return {
        "year": 2023,
        "name": "2023年养老机构常规检查计划",
        "kinds": ["elderly_care"],
        "region_code": OWN_REGION,
        "type": "routine",
        "period_from": "2023-01-01",
        "period_to": "2023-12-31",
        "required_inspections": 2,
        **overrides,
    }


@pytest.fixture
async def county(client: httpx.AsyncClient, admin: Actor) -> County:
    h = admin.headers
    inst = {
        "A": (await factories.institution(client, h, name="A敬老院", township="南宾街道"))["id"],
        "B": (await factories.institution(client, h, name="B敬老院", township="南宾街道"))["id"],
        "C": (await factories.institution(client, h, name="C敬老院", township="西沱镇"))["id"],
        "D": (await factories.institution(client, h, name="D敬老院", township="西沱镇"))["id"],
        "closed": (await factories.institution(client, h, name="关闭的敬老院", status="closed"))["id"],
        "funeral": (await factories.institution(client, h, name="殡仪馆", kind="funeral"))["id"],
        "other": (await factories.institution(client, h, name="外区敬老院", region_code=OTHER_REGION))["id"],
    }
    officers = [(await factories.officer(client, h, name=f"执法员{i}"))["id"] for i in range(5)]
    expired = (await factories.officer(client, h, name="过期", certificate_expires_on="2022-12-31"))["id"]
    r = await client.post(PLANS, json=plan_body(), headers=h)
    assert r.status_code == 201, r.text
    return County(admin, r.json(), inst, officers, expired)
