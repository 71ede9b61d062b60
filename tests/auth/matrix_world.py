"""The records the authorization matrix runs against, built through the API by a national admin.

Two regions: `own` (500240, where every actor is scoped) and `other` (500101). Each holds an institution,
three certified officers, an inspection with two hazards, an evidence file, a user, an API key, and an
inspection plan with a random draw. The actors are users with each role (the inspector linked to the own
region's first officer, who takes part in the own inspection) and a supervisor API key, all scoped to
500240, plus an anonymous caller.

The `fresh_*` helpers make a new target for one cell, so cells that change state stay independent.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from argon2 import PasswordHasher

from app.auth.models import Role, User
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, TEST_PASSWORD, ActorFactory

API = "/api/v1"
Side = Literal["own", "other"]
SIDES: tuple[Side, ...] = ("own", "other")
ACTORS = ("anonymous", "viewer", "inspector", "supervisor", "admin", "api_key")
INSPECTED_ON = "2023-05-04"
DRAWN_FOR = "2023-06-01"
HAZARD = {"category": "fire_safety", "severity": "general", "description": "消防通道堆放杂物", "due_on": "2023-06-01"}

# Login verifies with the parameters stored in the hash: target users get cheap ones, so the token row does
# not spend seconds in argon2 (the service's own hashing is tested elsewhere).
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(TEST_PASSWORD)


def png() -> bytes:
    """A PNG by its signature, with bytes no other upload has (the same bytes again would answer 200)."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + uuid.uuid4().bytes * 3


@dataclass
class Region:
    """The records of one region (ids as strings, as they appear in URLs and bodies)."""

    code: str
    institution: str = ""
    institution_name: str = ""
    officers: list[str] = field(default_factory=list)
    inspection: str = ""
    hazards: list[str] = field(default_factory=list)
    evidence: str = ""
    user: str = ""
    username: str = ""
    api_key: str = ""
    plan: str = ""
    draw: str = ""
    township: str = ""  # a township-level code of the regions register, under `code`


@dataclass
class World:
    client: httpx.AsyncClient
    root: dict[str, str]  # a national admin: builds every record
    db: Database
    own: Region
    other: Region
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # per actor name
    inspector_officer: str = ""
    uninvolved_inspection: str = ""  # own region, the inspector's officer does not take part
    uninvolved_hazard: str = ""  # of that inspection
    leak_markers: set[str] = field(default_factory=set)  # other-region ids and names
    region_codes: set[str] = field(default_factory=set)  # township-level codes handed out so far

    def region(self, side: Side) -> Region:
        return self.own if side == "own" else self.other

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post(f"{API}{path}", json=body, headers=self.root)
        assert r.status_code in (200, 201, 202), f"set-up POST {path}: {r.status_code} {r.text}"
        data: dict[str, Any] = r.json()
        return data

    def _mark(self, side: Side, *values: str) -> None:
        if side == "other":
            self.leak_markers.update(values)

    async def fresh_institution(self, side: Side) -> str:
        return (await self.named_institution(side))[0]

    async def named_institution(self, side: Side) -> tuple[str, str]:
        name = f"{'石柱' if side == 'own' else '万州'}敬老院-{uuid.uuid4().hex[:8]}"
        data = await self.post(
            "/institutions",
            {"name": name, "kind": "elderly_care", "region_code": self.region(side).code, "township": "南宾街道"},
        )
        self._mark(side, data["id"], name)
        return str(data["id"]), name

    async def fresh_officer(self, side: Side) -> str:
        name = f"{'谭' if side == 'own' else '万'}执法员-{uuid.uuid4().hex[:8]}"
        data = await self.post(
            "/officers",
            {
                "name": name,
                "unit": "社会福利中心",
                "region_code": self.region(side).code,
                "certificate_no": f"渝执法{uuid.uuid4().hex[:10]}",
                "certificate_issued_on": "2020-01-01",
                "certificate_expires_on": "2030-12-31",
            },
        )
        self._mark(side, data["id"], name)
        return str(data["id"])

    async def fresh_inspection(
        self, side: Side, officer_ids: list[str] | None = None, hazards: int = 1
    ) -> dict[str, Any]:
        region = self.region(side)
        data = await self.post(
            "/inspections",
            {
                "institution_id": region.institution,
                "inspected_on": INSPECTED_ON,
                "type": "routine",
                "officer_ids": officer_ids or region.officers[:2],
                "hazards": [HAZARD] * hazards,
            },
        )
        self._mark(side, data["id"], *(h["id"] for h in data["hazards"]))
        return data

    async def fresh_hazard(self, side: Side, state: str = "open", officer_ids: list[str] | None = None) -> str:
        hazard_id = str((await self.fresh_inspection(side, officer_ids))["hazards"][0]["id"])
        if state == "rectified":
            r = await self.client.post(
                f"{API}/hazards/{hazard_id}/transitions",
                headers=self.root,
                json={"action": "rectify", "on": "2023-05-10"},
            )
            assert r.status_code == 200, r.text
        return hazard_id

    async def fresh_evidence(self, hazard_id: str, side: Side) -> str:
        r = await self.client.post(
            f"{API}/hazards/{hazard_id}/evidence", headers=self.root, files={"file": ("photo.png", png(), "image/png")}
        )
        assert r.status_code == 201, r.text
        self._mark(side, r.json()["id"])
        return str(r.json()["id"])

    async def fresh_api_key(self, side: Side) -> str:
        data = await self.post(
            "/api-keys",
            {"name": f"key-{uuid.uuid4().hex[:6]}", "role": "viewer", "region_code": self.region(side).code},
        )
        self._mark(side, data["id"])
        return str(data["id"])

    async def fresh_plan(self, side: Side) -> str:
        data = await self.post(
            "/plans",
            {
                "year": 2023,
                "name": f"2023年执法检查计划-{uuid.uuid4().hex[:6]}",
                "kinds": ["elderly_care"],
                "region_code": self.region(side).code,
                "type": "routine",
                "period_from": "2023-01-01",
                "period_to": "2023-12-31",
            },
        )
        self._mark(side, data["id"])
        return str(data["id"])

    async def fresh_draw(self, plan_id: str, side: Side) -> str:
        data = await self.post(
            f"/plans/{plan_id}/draws", {"planned_on": DRAWN_FOR, "count": 1, "reason": "抽取（授权矩阵）"}
        )
        self._mark(side, data["id"])
        return str(data["id"])

    def new_region_code(self, side: Side) -> str:
        """A township-level code under the side's region that the register does not hold yet."""
        while (code := f"{self.region(side).code}{uuid.uuid4().int % 900 + 100}") in self.region_codes:
            pass
        self.region_codes.add(code)
        return code

    def region_name(self, side: Side) -> str:
        name = f"{'石柱' if side == 'own' else '万州'}乡镇-{uuid.uuid4().hex[:8]}"
        self._mark(side, name)
        return name

    async def fresh_region(self, side: Side) -> str:
        """A new township-level code under the side's region, named in the register."""
        code, name = self.new_region_code(side), self.region_name(side)
        r = await self.client.put(f"{API}/regions/{code}", json={"name": name}, headers=self.root)
        assert r.status_code == 201, f"set-up PUT /regions/{code}: {r.status_code} {r.text}"
        return code

    async def fresh_user(self, side: Side) -> User:
        """A viewer in the region with password TEST_PASSWORD, inserted directly (no argon2 round per cell)."""
        user = User(
            username=f"mx-{uuid.uuid4().hex[:10]}",
            password_hash=CHEAP_HASH,
            role=Role.viewer,
            region_code=self.region(side).code,
            is_active=True,
        )
        async with self.db.sessionmaker() as s:
            s.add(user)
            await s.commit()
        self._mark(side, str(user.id), user.username)
        return user


async def _fill(world: World, side: Side) -> None:
    """One region's records, one request after another: every session of the test shares one connection
    (the rolled-back outer transaction of tests/conftest.py), so nothing runs concurrently."""
    region = world.region(side)
    region.institution, region.institution_name = await world.named_institution(side)
    region.officers = [await world.fresh_officer(side) for _ in range(3)]
    user = await world.fresh_user(side)
    region.api_key = await world.fresh_api_key(side)
    region.user, region.username = str(user.id), user.username
    region.township = await world.fresh_region(side)
    inspection = await world.fresh_inspection(side, hazards=2)
    region.plan = await world.fresh_plan(side)
    region.inspection = str(inspection["id"])
    region.hazards = [str(h["id"]) for h in inspection["hazards"]]
    region.evidence = await world.fresh_evidence(region.hazards[0], side)
    region.draw = await world.fresh_draw(region.plan, side)


async def _actor(world: World, make_actor: ActorFactory, role: Role) -> None:
    actor = await make_actor(role, OWN_REGION)
    world.headers[role.value] = actor.headers
    if role == Role.inspector:
        r = await world.client.patch(
            f"{API}/users/{actor.user_id}", json={"officer_id": world.inspector_officer}, headers=world.root
        )
        assert r.status_code == 200, r.text


async def _api_key_actor(world: World) -> None:
    key = await world.post(
        "/api-keys", {"name": "matrix supervisor key", "role": "supervisor", "region_code": OWN_REGION}
    )
    world.headers["api_key"] = {"Authorization": f"Bearer {key['key']}"}


async def _uninvolved_inspection(world: World) -> None:
    inspection = await world.fresh_inspection("own", world.own.officers[1:3])
    world.uninvolved_inspection, world.uninvolved_hazard = str(inspection["id"]), str(inspection["hazards"][0]["id"])


async def build_world(client: httpx.AsyncClient, make_actor: ActorFactory, db: Database) -> World:
    root = await make_actor(Role.admin, "")
    world = World(client, root.headers, db, Region(OWN_REGION), Region(OTHER_REGION))
    await _fill(world, "own")
    await _fill(world, "other")
    world.inspector_officer = world.own.officers[0]
    world.headers["anonymous"] = {}
    await _uninvolved_inspection(world)
    await _api_key_actor(world)
    for role in (Role.viewer, Role.inspector, Role.supervisor, Role.admin):
        await _actor(world, make_actor, role)
    assert set(world.headers) == set(ACTORS)
    return world


def for_test(world: World, client: httpx.AsyncClient) -> World:
    """A copy of a world shared by several tests for one of them: its own client, and its own lists of what it
    adds (the records themselves are rolled back after each test, tests/conftest.py `isolated`)."""
    return dataclasses.replace(
        world,
        client=client,
        own=copy.deepcopy(world.own),
        other=copy.deepcopy(world.other),
        headers=copy.deepcopy(world.headers),
        leak_markers=set(world.leak_markers),
        region_codes=set(world.region_codes),
    )


__all__ = [
    "ACTORS",
    "API",
    "HAZARD",
    "INSPECTED_ON",
    "SIDES",
    "TEST_PASSWORD",
    "Region",
    "Side",
    "World",
    "build_world",
    "for_test",
    "png",
]
