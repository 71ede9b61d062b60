"""Shortcuts shared by the hazard API tests: build an inspection, drive a hazard into a state, read it back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from app.auth.models import Role
from app.auth.principals import Principal, PrincipalKind
from app.db.session import Database
from app.hazards.models import Hazard, HazardCategory, Severity
from app.hazards.schemas import HazardCreate
from app.hazards.service import add_hazards
from app.inspections.models import Inspection, InspectionType
from app.institutions.models import Institution, InstitutionKind
from tests import factories
from tests.conftest import OWN_REGION
from tests.problems import error_locs, problem_of

API = "/api/v1"
FOUND_ON = "2023-05-04"  # factories.inspection_body's inspected_on

# The minimal admin moves that bring a fresh (open) hazard into each state; all dated before ACT_ON.
SETUP_MOVES: dict[str, list[tuple[str, str]]] = {
    "open": [],
    "rectifying": [("start", "2023-05-05")],
    "rectified": [("rectify", "2023-05-06")],
    "verified": [("rectify", "2023-05-06"), ("verify", "2023-05-07")],
    "voided": [("void", "2023-05-05")],
}
ACT_ON = "2023-05-08"


async def stored_regions(db: Database) -> dict[str, str]:
    """Every stored hazard's `region_code` by hazard id; asserts that each is its institution's (the rule of
    app.hazards.models)."""
    async with db.sessionmaker() as s:
        rows = (
            await s.execute(
                select(Hazard.id, Hazard.region_code, Institution.region_code.label("institution_region")).join(
                    Institution, Institution.id == Hazard.institution_id
                )
            )
        ).all()
    assert [r for r in rows if r.region_code != r.institution_region] == []
    return {str(r.id): r.region_code for r in rows}


def hazard_url(hazard_id: str, suffix: str = "") -> str:
    return f"{API}/hazards/{hazard_id}{suffix}"


async def new_inspection(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    region_code: str | None = None,
    officer_ids: list[str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An institution (in `region_code` when given), two officers and an inspection with two hazards."""
    extra = {"region_code": region_code} if region_code else {}
    inst = await factories.institution(client, headers, **extra)
    if officer_ids is None:
        officer_ids = [
            (await factories.officer(client, headers))["id"],
            (await factories.officer(client, headers, name="冉华"))["id"],
        ]
    r = await client.post(
        f"{API}/inspections", json=factories.inspection_body(inst["id"], officer_ids, **overrides), headers=headers
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def inspect(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    institution_id: str,
    officer_ids: list[str],
    on: str,
    hazards: list[dict[str, Any]],
) -> list[str]:
    """Post an inspection of an existing institution on `on` with `hazards`; the hazard ids in order."""
    body = factories.inspection_body(institution_id, officer_ids, inspected_on=on, hazards=hazards)
    r = await client.post(f"{API}/inspections", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return [h["id"] for h in r.json()["hazards"]]


async def new_hazard(client: httpx.AsyncClient, headers: dict[str, str], **kwargs: Any) -> str:
    """The id of a fresh open hazard found on FOUND_ON."""
    hazard_id: str = (await new_inspection(client, headers, **kwargs))["hazards"][0]["id"]
    return hazard_id


async def seed_hazard(db: Database, region_code: str = OWN_REGION) -> str:
    """A fresh open hazard found on FOUND_ON, written straight to the database in one transaction.

    Only for the wide parametrised tests where four HTTP calls of set-up per case would dominate the run
    time; the hazard and its `create` history entry are written by the service's own `add_hazards`.
    """
    found_on = date.fromisoformat(FOUND_ON)
    seeder = Principal(PrincipalKind.user, uuid.uuid4(), "seed", Role.admin, "")
    async with db.sessionmaker() as s:
        inst = Institution(
            name=f"敬老院-{uuid.uuid4().hex[:6]}",
            kind=InstitutionKind.elderly_care,
            region_code=region_code,
            create_fingerprint="seed",
        )
        s.add(inst)
        await s.flush()
        insp = Inspection(
            institution_id=inst.id,
            inspected_on=found_on,
            type=InspectionType.routine,
            created_by_id=seeder.id,
            created_by_name=seeder.name,
            create_fingerprint="seed",
        )
        s.add(insp)
        await s.flush()
        data = HazardCreate(
            category=HazardCategory.fire_safety,
            severity=Severity.general,
            description="消防通道堆放杂物",
            due_on=date(2023, 5, 20),
        )
        [hazard] = await add_hazards(s, insp.id, inst.id, inst.region_code, found_on, [data], 0, seeder)
        await s.commit()
        return str(hazard.id)


async def move(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    hazard_id: str,
    action: str,
    on: str | None = None,
    note: str | None = None,
    if_match: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"action": action, **extra}
    if on is not None:
        body["on"] = on
    if note is not None:
        body["note"] = note
    h = {**headers, "If-Match": if_match} if if_match is not None else headers
    return await client.post(hazard_url(hazard_id, "/transitions"), json=body, headers=h)


async def moved(
    client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str, action: str, on: str, note: str | None = None
) -> dict[str, Any]:
    """A move that must succeed; the hazard after it."""
    r = await move(client, headers, hazard_id, action, on, note=note)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def drive(client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str, state: str) -> None:
    reached = "open"
    for action, on in SETUP_MOVES[state]:
        r = await move(client, headers, hazard_id, action, on, note="登记错误" if action == "void" else None)
        assert r.status_code == 200, r.text
        reached = r.json()["status"]
    assert reached == state


async def read(client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str) -> tuple[dict[str, Any], str]:
    """The hazard as GET returns it, and its ETag."""
    r = await client.get(hazard_url(hazard_id), headers=headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data, r.headers["etag"]


async def history(client: httpx.AsyncClient, headers: dict[str, str], hazard_id: str) -> list[dict[str, Any]]:
    r = await client.get(hazard_url(hazard_id, "/history"), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def assert_problem(r: httpx.Response, status: int, loc: Sequence[str | int] | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with `status` (and, when given, an error at `loc`)."""
    body = problem_of(r, status)
    if loc is not None:
        assert list(loc) in error_locs(body), f"{loc} not in {error_locs(body)}"
    return body


async def link_officer(client: httpx.AsyncClient, admin_headers: dict[str, str], user_id: str, officer_id: str) -> None:
    """Make a user (e.g. an inspector from make_actor) be the given officer."""
    r = await client.patch(f"{API}/users/{user_id}", json={"officer_id": officer_id}, headers=admin_headers)
    assert r.status_code == 200, r.text
