"""Matrix rows: the regions register (行政区划). See matrix_core for the columns.

Regions are bound to their own code: a code outside the caller's region reads as 404 and writes as 403; a
`parent_code` filter of another region answers 200 with nothing of it.
"""

from __future__ import annotations

from tests.auth.matrix_core import ADMIN, HIDDEN, OUTSIDE, READ, V1, Req, Table
from tests.auth.matrix_world import Side, World

ROWS = Table()


@ROWS.row("GET", f"{V1}/regions", "query parent_code", READ, READ)
async def _regions(w: World, s: Side) -> Req:
    return Req(params={"parent_code": w.region(s).code}, shows=w.own.township if s == "own" else None)


@ROWS.row("GET", f"{V1}/regions/{{region_code}}", "path code", READ, HIDDEN)
async def _region(w: World, s: Side) -> Req:
    return Req(ids={"region_code": w.region(s).township})


@ROWS.row("PUT", f"{V1}/regions/{{region_code}}", "path code", ADMIN.format(201), OUTSIDE)
async def _region_put(w: World, s: Side) -> Req:
    return Req(ids={"region_code": w.new_region_code(s)}, json={"name": w.region_name(s)})


@ROWS.row("POST", f"{V1}/regions/import", "file codes", ADMIN.format(200), OUTSIDE)
async def _region_import(w: World, s: Side) -> Req:
    csv = f"code,name\n{w.new_region_code(s)},{w.region_name(s)}\n".encode()
    return Req(files={"file": ("regions.csv", csv, "text/csv")})
