"""Matrix rows: escalations and follow-ups (see matrix_core for the columns). Every role reads in its region;
a `region_code` outside the caller's is 403, another region's hazard 404."""

from __future__ import annotations

from tests.auth.matrix_core import HIDDEN, OUTSIDE, READ, V1, Req, Table, in_region
from tests.auth.matrix_world import Side, World

ROWS = Table()


@ROWS.row("GET", f"{V1}/escalations", "query region_code", READ, OUTSIDE)
async def _escalations(w: World, s: Side) -> Req:
    return in_region(w, s, None)


@ROWS.row("GET", f"{V1}/escalations", "query institution_id", READ, READ)
async def _escalations_of_institution(w: World, s: Side) -> Req:
    return Req(params={"institution_id": w.region(s).institution})


@ROWS.row("GET", f"{V1}/hazards/{{hazard_id}}/escalations", "path id", READ, HIDDEN)
async def _hazard_escalations(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[0]})


@ROWS.row("GET", f"{V1}/follow-ups", "query region_code", READ, OUTSIDE)
async def _follow_ups(w: World, s: Side) -> Req:
    return in_region(w, s, None)
