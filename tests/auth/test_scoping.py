"""Region prefixes are matched as ranges (index-friendly); the range must select exactly the codes that start
with the prefix, on both databases, at every boundary."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from app.auth.scoping import region_parts, successor, within
from tests.conftest import Actor
from tests.factories import institution

CODES = (
    "09",
    "099",
    "0999",
    "10",
    "50",
    "500",
    "5002",
    "500239",
    "500240",
    "5002401",
    "500241",
    "5002499",
    "5003",
    "500999",
    "501",
    "99",
    "9999",
    "999999",
)
PREFIXES = ("09", "5", "50", "5002", "500240", "5002409", "500249", "5009", "99", "999", "1")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("5002", "5003"),
        ("500240", "500241"),
        ("5009", "501"),
        ("5099", "51"),
        ("09", "1"),
        ("1999", "2"),
        ("99", None),
        ("999999", None),
    ],
)
def test_successor_is_the_first_code_outside_the_subtree(prefix: str, expected: str | None) -> None:
    assert successor(prefix) == expected


async def test_region_filter_selects_exactly_the_codes_under_the_prefix(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    for code in CODES:
        await institution(client, admin.headers, name=f"机构{code}", region_code=code)
    for prefix in PREFIXES:
        r = await client.get(
            "/api/v1/institutions", params={"region_code": prefix, "limit": 100}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        got = sorted(item["region_code"] for item in r.json()["items"])
        assert got == sorted(c for c in CODES if within(prefix, c)), prefix


@pytest.mark.parametrize("prefix", ["", *PREFIXES])
def test_region_parts_split_the_subtree_into_the_code_and_the_codes_below(prefix: str) -> None:
    """The parts the hazard list pages separately are disjoint and together the subtree (evaluated on CODES)."""
    table = sa.table("t", sa.column("code", sa.String()))
    parts = region_parts(table.c.code, prefix)
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE t (code VARCHAR)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:code)"), [{"code": c} for c in CODES])
        found = [set(conn.scalars(sa.select(table.c.code).where(part))) for part in parts]
    assert sorted(c for codes in found for c in codes) == sorted(c for c in CODES if within(prefix, c))
    assert len(parts) == (2 if prefix else 1)
    if prefix:
        assert found[0] <= {prefix}
