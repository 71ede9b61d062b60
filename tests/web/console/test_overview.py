"""总览 (/console/): the year's figures per kind with the UI.md hooks, region scope, a bad year (both databases)."""

from __future__ import annotations

import re

import httpx

from app.core import clock
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_sessions import sign_in


def figure(html: str, metric: str, kind: str | None = None) -> str:
    """The text of the one element with this data-metric (and data-kind) and no data-group."""
    kind_attr = f' data-kind="{kind}"' if kind else ""
    found = re.findall(rf'<(\w+) data-metric="{metric}"{kind_attr}>([^<]*)</\1>', html)
    assert len(found) == 1, (metric, kind, found)
    return str(found[0][1])


async def _record_2023_inspection(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    institution = await factories.institution(client, headers)  # elderly_care in OWN_REGION
    officers = [(await factories.officer(client, headers))["id"] for _ in range(2)]
    body = factories.inspection_body(institution["id"], officers)  # 2023-05-04, two hazards, one major
    r = await client.post("/api/v1/inspections", json=body, headers=headers)
    assert r.status_code == 201, r.text


async def test_the_years_figures_per_kind_in_the_callers_region(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    admin = await make_actor("admin", "")
    await _record_2023_inspection(client, admin.headers)
    own = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, own.username)).status_code == 303
    r = await client.get("/console/?year=2023")
    assert r.status_code == 200, r.text
    assert '<label for="year">年度</label>' in r.text and "查询" in r.text and 'value="2023"' in r.text
    assert figure(r.text, "institutions_inspected", "elderly_care") == "1"
    assert figure(r.text, "inspections", "elderly_care") == "1"
    assert figure(r.text, "hazards_found", "elderly_care") == "2"
    assert figure(r.text, "hazards_rectified", "elderly_care") == "0"
    assert figure(r.text, "rectification_rate", "elderly_care") == "0%"
    assert figure(r.text, "major_hazards", "elderly_care") == "1"
    assert figure(r.text, "inspections", "funeral") == "0"
    assert figure(r.text, "rectification_rate", "funeral") == "—"
    assert figure(r.text, "officers_certified") == "2"
    # Another year has none of it.
    r = await client.get("/console/?year=2022")
    assert figure(r.text, "inspections", "elderly_care") == "0"

    # A user of another county sees its own (empty) county, not 500240.
    client.cookies.clear()
    other = await make_actor("viewer", OTHER_REGION)
    assert (await sign_in(client, other.username)).status_code == 303
    r = await client.get("/console/?year=2023")
    assert r.status_code == 200
    assert figure(r.text, "inspections", "elderly_care") == "0"
    assert figure(r.text, "hazards_found", "elderly_care") == "0"
    assert figure(r.text, "rectification_rate", "elderly_care") == "—"
    assert figure(r.text, "officers_certified") == "0"


async def test_the_default_year_is_this_year(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, user.username)).status_code == 303
    r = await client.get("/console/")
    assert r.status_code == 200
    assert f'value="{clock.today().year}"' in r.text
    assert figure(r.text, "inspections", "funeral") == "0"


async def test_a_bad_year_is_a_message_beside_the_control(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    user = await make_actor("viewer", OWN_REGION)
    assert (await sign_in(client, user.username)).status_code == 303
    for bad in ("abc", "1999", "20233", "２０２３", "-1", "2023.0"):
        r = await client.get("/console/", params={"year": bad})
        assert r.status_code == 422, bad
        assert 'id="year-error"' in r.text and "年度应为" in r.text
        assert 'aria-describedby="year-error"' in r.text
        assert "data-metric" not in r.text
