"""Authorization matrix: every endpoint × every actor × own and other region answers the status in the table.

The table is in tests/auth/matrix_rows_*.py (its columns are explained in matrix_core.py); the records it
runs against are built by matrix_world.py. One test per row (not per row and actor: building the records
is the expensive part) builds them once and sends every cell of the row, so a failure lists all wrong cells
of that row at once. Besides the status, every cell checks that:
- an error is problem+json (401 with the Bearer challenge);
- a successful answer names no record of the other region (no leak through lists, reports or ledgers),
  and a listing of the own region really contains the own record (the scope is not merely empty).

A route without a row fails `test_every_route_has_a_row`, and a row without a route fails it too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.db.session import Database
from tests.auth import (
    matrix_rows_admin,
    matrix_rows_deadlines,
    matrix_rows_events,
    matrix_rows_field,
    matrix_rows_imports,
    matrix_rows_plans,
    matrix_rows_regions,
)
from tests.auth.matrix_core import Req, Row, count_cells
from tests.auth.matrix_world import ACTORS, SIDES, Side, World, build_world, for_test
from tests.conftest import actor_factory, isolated

ROWS: list[Row] = [
    *matrix_rows_admin.ROWS,
    *matrix_rows_field.ROWS,
    *matrix_rows_plans.ROWS,
    *matrix_rows_regions.ROWS,
    *matrix_rows_events.ROWS,
    *matrix_rows_deadlines.ROWS,
    *matrix_rows_imports.ROWS,
]
CELLS = count_cells(ROWS)  # quoted in SECURITY.md
# Public and outside the OpenAPI document: the docs pages, and their shipped assets (the /static mount).
UNDOCUMENTED = {"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc", "/static"}
# The console's pages (app/web/console): without a session they answer 303 to /console/login, not 401, and a
# POST without the CSRF token and own origin is 403; tests/web/console covers each of them. Listed one by one:
# a new page is not exempt until it is added here with its tests.
UNDOCUMENTED |= {"/", "/console/", "/console/login", "/console/logout", "/console/static"}
# Part 1's read-only pages (tests/web/console: test_hazards*, test_registers, test_plans, test_annual).
UNDOCUMENTED |= {
    "/console/hazards",
    "/console/hazards/export.csv",
    "/console/hazards/export.xlsx",
    "/console/hazards/{hazard_id}",
    "/console/hazards/{hazard_id}/evidence/{evidence_id}",
    "/console/inspections",
    "/console/inspections/{inspection_id}",
    "/console/institutions",
    "/console/institutions/{institution_id}",
    "/console/officers",
    "/console/officers/{officer_id}",
    "/console/plans",
    "/console/plans/{plan_id}",
    "/console/reports/annual",
    "/console/reports/annual.docx",
}
# The registers' create and edit forms (tests/web/console/test_register_forms.py).
UNDOCUMENTED |= {
    "/console/institutions/new",
    "/console/institutions/{record_id}/edit",
    "/console/officers/new",
    "/console/officers/{record_id}/edit",
    "/console/officers/{officer_id}/trainings",
    "/console/officers/{officer_id}/conflicts",
}
# 系统管理 (tests/web/console/test_admin*.py).
UNDOCUMENTED |= {
    "/console/admin",
    "/console/admin/users",
    "/console/admin/users/{user_id}",
    "/console/admin/keys",
    "/console/admin/keys/{key_id}/revoke",
    "/console/admin/webhooks",
    "/console/admin/webhooks/{webhook_id}",
    "/console/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
}
# Issue 18 part 2, h18b's desk forms (tests/web/console: test_inspection_form, test_plan_forms).
UNDOCUMENTED |= {"/console/inspections/new", "/console/plans/new"}
UNDOCUMENTED |= {
    "/console/import",
    "/console/import/template",
    "/console/import/confirm",
}  # tests/web/console/test_import*
# The field app's shell (app/web/field): public by design, it holds no data; everything it shows comes from the
# API with the inspector's token, which the rows above cover (tests/web/field).
UNDOCUMENTED |= {"/field", "/field/", "/field/manifest.webmanifest", "/field/sw.js", "/field/static"}
_ADDRESSES = itertools.count()
TEXT_TYPES = ("application/json", "application/problem+json", "text/")
CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def needs_no_credentials(path: str) -> bool:
    """Health probes, logging in, and anything under /api/v1/public/."""
    return path in {"/healthz", "/readyz", "/api/v1/auth/token"} or path.startswith("/api/v1/public/")


async def send(world: World, row: Row, req: Req, actor: str) -> httpx.Response:
    return await world.client.request(
        row.method,
        row.path.format(**req.ids),
        params=req.params,
        json=req.json,
        data=req.data,
        files=req.files,
        headers=world.headers[actor],
    )


def problems(world: World, row: Row, side: Side, actor: str, req: Req, r: httpx.Response, expected: int) -> list[str]:
    """What is wrong with one cell's answer (empty when it is right)."""
    where = f"{actor:<10} {side:<5} {row.method} {r.request.url.path}"
    if r.status_code != expected:
        return [f"{where}: {r.status_code}, expected {expected}: {r.text[:200]}"]
    content_type = r.headers.get("content-type", "")
    if r.status_code >= 400:
        wrong = []
        if not content_type.startswith("application/problem+json"):
            wrong.append(f"{where}: error is {content_type!r}, not problem+json")
        if r.status_code == 401 and r.headers.get("www-authenticate") != "Bearer":
            wrong.append(f"{where}: 401 without WWW-Authenticate: Bearer")
        return wrong
    if not content_type.startswith(TEXT_TYPES):
        return []
    # Public answers publish any region by design; a login answers a token for whoever logs in.
    leaked = [] if needs_no_credentials(row.path) else sorted(m for m in world.leak_markers if m in r.text)
    wrong = [f"{where}: answer names other-region records {leaked}"] if leaked else []
    if req.shows is not None and req.shows not in r.text:
        wrong.append(f"{where}: answer lacks the own-region record {req.shows}")
    return wrong


def _own_address_client(app: FastAPI) -> httpx.AsyncClient:
    n = next(_ADDRESSES)
    transport = httpx.ASGITransport(app=app, client=(f"10.77.{n // 250}.{n % 250 + 1}", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def matrix_client(app: FastAPI, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an address of its own: the per-IP limits (public pages, logins) see this test only."""
    async with _own_address_client(app) as c:
        yield c


@pytest.fixture(scope="module")
async def shared_world(app: FastAPI, db: Database) -> AsyncIterator[World | None]:
    """SQLite: the matrix's records, built once per module in a transaction of their own, rolled back after the
    module; each test runs in a SAVEPOINT of it (tests/conftest.py `isolated`), so a cell's changes end with
    its test as before, without building the records again for every row. PostgreSQL: None, the records are
    built for each test: a transaction open for the whole module would hold back the event feed's commit
    horizon (tests/conftest.py) for every other worker on the server."""
    if not db.is_sqlite:
        yield None
        return
    async with isolated(db), _own_address_client(app) as c:
        yield await build_world(c, actor_factory(db), db)


@pytest.fixture
async def world(
    app: FastAPI, shared_world: World | None, matrix_client: httpx.AsyncClient, clean_db: Database
) -> World:
    """The records for this test, seen through its own client; failed logins of earlier tests forgotten."""
    if shared_world is None:
        return await build_world(matrix_client, actor_factory(clean_db), clean_db)
    await app.state.login_throttle.reset()
    return for_test(shared_world, matrix_client)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_matrix_row(row: Row, world: World) -> None:
    wrong: list[str] = []
    for side in SIDES:
        cells = row.expected(side)
        if cells is None:
            continue
        for actor, expected in zip(ACTORS, cells, strict=True):
            if expected is None:
                continue
            req = await row.build(world, side)
            r = await send(world, row, req, actor)
            wrong += problems(world, row, side, actor, req, r, expected)
    assert not wrong, f"{row.id}:\n" + "\n".join(wrong)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, the OpenAPI docs excepted.

    FastAPI >= 0.16x keeps included routers lazily in `app.routes`; `iter_route_contexts` flattens them
    (with their prefixes). Routes hidden from OpenAPI are included: they answer requests all the same.
    """
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        # A typed parameter ({region_code:digits}) is listed the way OpenAPI writes it ({region_code}).
        path = CONVERTOR.sub(r"{\1}", context.path) if context.path else repr(context.original_route)
        if path in UNDOCUMENTED:
            continue
        if isinstance(context.original_route, APIRoute):
            found |= {(method, path) for method in context.methods or () if method != "HEAD"}
        else:  # a mount or plain Starlette route would bypass the matrix: it needs a row as well
            found.add(("*", path))
    return found


def test_every_route_has_a_row(app: FastAPI) -> None:
    routes = app_routes(app)
    rows = {(r.method, r.path) for r in ROWS}
    missing = sorted(routes - rows)
    stale = sorted(rows - routes)
    assert not missing and not stale, (
        "authorization matrix out of date (add rows in tests/auth/matrix_rows_*.py):\n"
        + "".join(f"  no row for route  {m} {p}\n" for m, p in missing)
        + "".join(f"  row without route {m} {p}\n" for m, p in stale)
    )


def test_table_shape() -> None:
    """Rows are unique; public routes answer anonymous callers, every other route refuses them (401)."""
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate rows"
    for row in ROWS:
        anonymous = {cells[0] for cells in (row.own, row.other) if cells is not None}
        if needs_no_credentials(row.path):
            assert anonymous == {200}, f"{row.id}: a public route answers anonymous callers 200"
        else:
            assert anonymous == {401}, f"{row.id}: anonymous callers get 401"


def test_cell_count(record_property: Callable[[str, object], None]) -> None:
    """The size of the matrix (quoted in SECURITY.md); every row has cells."""
    assert all(count_cells([row]) for row in ROWS)
    assert count_cells(ROWS) == CELLS
    record_property("authorization_matrix_rows", len(ROWS))
    record_property("authorization_matrix_cells", CELLS)
    print(
        f"authorization matrix: {len(ROWS)} rows over {len({(r.method, r.path) for r in ROWS})} routes, {CELLS} cells"
    )
