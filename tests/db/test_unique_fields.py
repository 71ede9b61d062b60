"""One replayable create (issue 12.4): a unique value taken concurrently — after the service's own check passed —
is a 409 naming the field that actually collided, on both databases; a unique violation the create did not
declare is a 409 naming no field. The race is reproduced by letting the service's first check see nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.errors import Conflict
from app.db.replay import UniqueField, create_replayable
from app.db.session import Database
from app.inspections import service as inspection_service
from app.institutions import service as institution_service
from app.institutions.models import Institution, InstitutionKind
from app.officers import service as officer_service
from tests import factories
from tests.conftest import OWN_REGION, Actor
from tests.institutions.helpers import CREDIT_A
from tests.problems import error_locs, problem_of

API = "/api/v1"


def _first_check_misses(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """The first call of the check finds nothing (the twin commits right after it); later calls are real."""
    real: Callable[..., Any] = getattr(owner, name)
    calls = 0

    async def check(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, check)


async def _count(db: Database, model: Any) -> int:
    async with db.sessionmaker() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_credit_code_taken_concurrently_names_credit_code(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = await factories.institution(client, admin.headers, credit_code=CREDIT_A)
    _first_check_misses(monkeypatch, institution_service, "_ensure_credit_code_free")
    r = await client.post(
        f"{API}/institutions",
        json={
            "name": "另一家敬老院",
            "kind": "elderly_care",
            "region_code": OWN_REGION,
            "credit_code": holder["credit_code"],
        },
        headers=admin.headers,
    )
    problem = problem_of(r, 409)
    assert error_locs(problem) == [["body", "credit_code"]]
    assert holder["id"] in problem["detail"]  # the admin may see the holder
    assert await _count(clean_db, Institution) == 1


async def test_certificate_taken_concurrently_names_certificate_no(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = await factories.officer(client, admin.headers)
    _first_check_misses(monkeypatch, officer_service, "_ensure_certificate_free")
    r = await client.post(
        f"{API}/officers",
        json={
            "name": "冉华",
            "unit": "社会福利中心",
            "region_code": OWN_REGION,
            "certificate_no": holder["certificate_no"],
        },
        headers=admin.headers,
    )
    problem = problem_of(r, 409)
    assert error_locs(problem) == [["body", "certificate_no"]]
    assert "certificate_no" in problem["detail"]


async def test_nested_hazard_id_taken_concurrently_names_that_hazard(
    client: httpx.AsyncClient, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second unique column of an inspection create: a nested hazard's id (before: a 500)."""
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    first = await client.post(
        f"{API}/inspections", json=factories.inspection_body(inst["id"], officers), headers=admin.headers
    )
    assert first.status_code == 201, first.text
    taken = first.json()["hazards"][0]["id"]
    body = factories.inspection_body(inst["id"], officers, inspected_on="2023-06-01")
    body["hazards"] = [{**body["hazards"][0], "id": taken, "due_on": "2023-06-20"}]
    _first_check_misses(monkeypatch, inspection_service, "_ensure_hazard_ids_free")
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert error_locs(problem_of(r, 409)) == [["body", "hazards", 0, "id"]]
    listed = await client.get(f"{API}/inspections", headers=admin.headers)
    assert [i["id"] for i in listed.json()["items"]] == [first.json()["id"]]


async def test_undeclared_unique_violation_is_409_without_a_field(clean_db: Database) -> None:
    """A create that does not declare the column it collides on gets a 409 naming no field (not a wrong one)."""
    async with clean_db.write_session() as s:
        s.add(
            Institution(
                name="甲",
                kind=InstitutionKind.elderly_care,
                region_code=OWN_REGION,
                credit_code="C" * 18,
                create_fingerprint="x",
            )
        )
        await s.commit()
    twin = Institution(
        id=uuid.uuid4(),
        name="乙",
        kind=InstitutionKind.elderly_care,
        region_code=OWN_REGION,
        credit_code="C" * 18,
        create_fingerprint="fp",
    )
    async with clean_db.write_session() as s:

        async def store() -> None:
            s.add(twin)

        with pytest.raises(Conflict) as caught:
            await create_replayable(s, Institution, twin.id, "fp", "institution", store, [])
        assert not caught.value.errors
        # Declared, the same violation names its field.
        declared = UniqueField(Institution.credit_code, ("body", "credit_code"), "credit_code taken")
        with pytest.raises(Conflict) as caught:
            await create_replayable(s, Institution, twin.id, "fp", "institution", store, [declared])
        assert [e.loc for e in caught.value.errors or []] == [["body", "credit_code"]]
    assert await _count(clean_db, Institution) == 1
