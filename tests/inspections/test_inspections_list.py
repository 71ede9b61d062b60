"""GET /inspections: every filter, newest first, cursor pagination, and region scoping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.inspections.helpers import URL, create
from tests.officers.helpers import assert_problem, create_officer

TOWN = f"{OWN_REGION}001"


@dataclass(frozen=True)
class Register:
    """Six inspections: five in 500240 (two institutions, one in a sub-region) and one in 500101."""

    records: dict[str, dict[str, Any]]
    institutions: dict[str, dict[str, Any]]
    officers: dict[str, dict[str, Any]]

    def ids(self, *handles: str) -> set[str]:
        return {self.records[h]["id"] for h in handles}


OWN = ("a", "b", "c", "d", "e")


@pytest.fixture
async def register(client: httpx.AsyncClient, admin: Actor) -> Register:
    h = admin.headers
    institutions = {
        "care": await factories.institution(client, h, name="南宾敬老院"),
        "funeral": await factories.institution(client, h, name="石柱县殡仪馆", kind="funeral", region_code=TOWN),
        "wanzhou": await factories.institution(client, h, name="万州福利院", region_code=OTHER_REGION),
    }
    officers = {
        "tan": await create_officer(client, h, name="谭明"),
        "ran": await create_officer(client, h, name="冉华"),
        "ma": await create_officer(client, h, name="马芳"),
        "w1": await create_officer(client, h, name="万一", region_code=OTHER_REGION),
        "w2": await create_officer(client, h, name="万二", region_code=OTHER_REGION),
    }
    plan = {
        # handle: institution, date, type, officers
        "a": ("care", "2023-03-01", "routine", ("tan", "ran")),
        "b": ("care", "2023-06-15", "special", ("tan", "ma")),
        "c": ("funeral", "2023-06-15", "routine", ("ran", "ma")),
        "d": ("funeral", "2023-09-30", "special", ("tan", "ran")),
        "e": ("care", "2023-01-10", "routine", ("ma", "ran")),
        "x": ("wanzhou", "2023-07-01", "routine", ("w1", "w2")),
    }
    records: dict[str, dict[str, Any]] = {}
    for handle, (inst, day, kind, who) in plan.items():
        body = factories.inspection_body(
            institutions[inst]["id"], [officers[o]["id"] for o in who], inspected_on=day, type=kind, hazards=[]
        )
        if kind == "special":
            body["campaign"] = "安全生产月"
        records[handle] = await create(client, admin, body)
    return Register(records, institutions, officers)


async def _page(client: httpx.AsyncClient, actor: Actor, **params: Any) -> dict[str, Any]:
    r = await client.get(URL, params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    assert set(page) == {"items", "next_cursor"}
    return page


async def _ids(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[str]:
    return [i["id"] for i in (await _page(client, actor, **params))["items"]]


async def test_newest_first(client: httpx.AsyncClient, admin: Actor, register: Register) -> None:
    page = await _page(client, admin)
    assert page["next_cursor"] is None
    items = page["items"]
    assert {i["id"] for i in items} == register.ids(*OWN, "x")
    keys = [(i["inspected_on"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert [i["inspected_on"] for i in items] == [
        "2023-09-30",
        "2023-07-01",
        "2023-06-15",
        "2023-06-15",
        "2023-03-01",
        "2023-01-10",
    ]
    assert await _ids(client, admin) == [i["id"] for i in items]  # stable


async def test_list_item_fields(client: httpx.AsyncClient, admin: Actor, register: Register) -> None:
    items = {i["id"]: i for i in (await _page(client, admin))["items"]}
    d = items[register.records["d"]["id"]]
    assert d["institution_id"] == register.institutions["funeral"]["id"]
    assert d["institution_name"] == "石柱县殡仪馆"
    assert (d["kind"], d["region_code"], d["type"], d["campaign"]) == ("funeral", TOWN, "special", "安全生产月")
    assert d["officer_ids"] == [register.officers["tan"]["id"], register.officers["ran"]["id"]]
    assert d["hazards_count"] == 0
    assert "hazards" not in d


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "funeral"}, ("c", "d")),
        ({"kind": "elderly_care"}, ("a", "b", "e", "x")),
        ({"region_code": TOWN}, ("c", "d")),
        ({"region_code": OWN_REGION}, OWN),
        ({"region_code": "50"}, (*OWN, "x")),
        ({"region_code": OTHER_REGION}, ("x",)),
        ({"region_code": "500241"}, ()),
        ({"type": "special"}, ("b", "d")),
        ({"type": "routine"}, ("a", "c", "e", "x")),
        ({"from": "2023-06-15"}, ("b", "c", "d", "x")),
        ({"to": "2023-06-15"}, ("a", "b", "c", "e")),
        ({"from": "2023-03-01", "to": "2023-07-01"}, ("a", "b", "c", "x")),
        ({"from": "2023-06-16", "to": "2023-06-14"}, ()),
        ({"kind": "elderly_care", "type": "routine", "region_code": OWN_REGION}, ("a", "e")),
        ({"unknown_param": "ignored"}, (*OWN, "x")),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, admin: Actor, register: Register, params: dict[str, Any], expected: tuple[str, ...]
) -> None:
    assert set(await _ids(client, admin, **params)) == register.ids(*expected)


async def test_filter_by_institution_and_officer(client: httpx.AsyncClient, admin: Actor, register: Register) -> None:
    care = register.institutions["care"]["id"]
    assert set(await _ids(client, admin, institution_id=care)) == register.ids("a", "b", "e")
    ma = register.officers["ma"]["id"]
    assert set(await _ids(client, admin, officer_id=ma)) == register.ids("b", "c", "e")
    tan = register.officers["tan"]["id"]
    assert set(await _ids(client, admin, officer_id=tan, institution_id=care)) == register.ids("a", "b")
    assert set(await _ids(client, admin, officer_id=register.officers["w1"]["id"])) == register.ids("x")
    # An officer id that took part in nothing, or an institution never inspected.
    idle = await create_officer(client, admin.headers, name="闲")
    assert await _ids(client, admin, officer_id=idle["id"]) == []
    assert await _ids(client, admin, institution_id=idle["id"]) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "surprise"}, "type"),
        ({"kind": "school"}, "kind"),
        ({"from": "2023-02-30"}, "from"),
        ({"institution_id": "nope"}, "institution_id"),
        ({"officer_id": "nope"}, "officer_id"),
        ({"region_code": "50x"}, "region_code"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
    ],
)
async def test_bad_query_is_422(client: httpx.AsyncClient, admin: Actor, params: dict[str, Any], field: str) -> None:
    r = await client.get(URL, params=params, headers=admin.headers)
    assert_problem(r, 422, ["query", field])


async def test_limit_one_walks_everything_once(client: httpx.AsyncClient, admin: Actor, register: Register) -> None:
    expected = await _ids(client, admin)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(expected) + 2):
        page = await _page(client, admin, limit=1, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 1
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == expected
    assert len(set(seen)) == len(seen) == 6


async def test_pagination_keeps_the_filters(client: httpx.AsyncClient, admin: Actor, register: Register) -> None:
    first = await _page(client, admin, limit=2, kind="elderly_care")
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = await _page(client, admin, limit=2, kind="elderly_care", cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert set(ids) == register.ids("a", "b", "e", "x") and len(ids) == 4
    assert_problem(await client.get(URL, params={"cursor": "garbage!"}, headers=admin.headers), 422)


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor, Role.admin])
async def test_other_region_is_never_visible(
    client: httpx.AsyncClient, make_actor: ActorFactory, register: Register, role: Role
) -> None:
    actor = await make_actor(role, OWN_REGION)
    assert set(await _ids(client, actor)) == register.ids(*OWN)
    # Filters cannot reach across: officers and institutions of 500101 find nothing.
    assert await _ids(client, actor, officer_id=register.officers["w1"]["id"]) == []
    assert await _ids(client, actor, institution_id=register.institutions["wanzhou"]["id"]) == []
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await _page(client, actor, limit=1, **({"cursor": cursor} if cursor else {}))
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None or len(seen) > 10:
            break
    assert set(seen) == register.ids(*OWN) and len(seen) == 5
    assert_problem(await client.get(f"{URL}/{register.records['x']['id']}", headers=actor.headers), 404)
    assert (await client.get(f"{URL}/{register.records['a']['id']}", headers=actor.headers)).status_code == 200


async def test_town_scope_sees_only_its_town(
    client: httpx.AsyncClient, make_actor: ActorFactory, register: Register
) -> None:
    town_viewer = await make_actor(Role.viewer, TOWN)
    assert set(await _ids(client, town_viewer)) == register.ids("c", "d")
    assert_problem(await client.get(URL, params={"region_code": OWN_REGION}, headers=town_viewer.headers), 403)


@pytest.mark.parametrize("region_code", [OTHER_REGION, "50", "5002"])
async def test_region_filter_outside_the_callers_region_is_403(
    client: httpx.AsyncClient, make_actor: ActorFactory, register: Register, region_code: str
) -> None:
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    r = await client.get(URL, params={"region_code": region_code}, headers=supervisor.headers)
    problem = assert_problem(r, 403)
    assert region_code in problem["detail"]


async def test_get_unknown_or_malformed_id(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.get(f"{URL}/00000000-0000-4000-8000-000000000000", headers=admin.headers), 404)
    assert_problem(await client.get(f"{URL}/not-a-uuid", headers=admin.headers), 422, ["path", "inspection_id"])
