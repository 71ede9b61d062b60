"""Matrix rows: inspections, hazards, evidence, reports, exports and health (see matrix_core for the columns)."""

from __future__ import annotations

from typing import Any

from tests.auth.matrix_core import FIELD, HIDDEN, MANAGE, OUTSIDE, PUBLIC, READ, V1, Req, Table, in_region
from tests.auth.matrix_world import HAZARD, INSPECTED_ON, Side, World, png

ROWS = Table()


# ---- inspections ------------------------------------------------------------------------------------------
def _inspection(institution: str, officers: list[str]) -> dict[str, Any]:
    return {
        "institution_id": institution,
        "inspected_on": INSPECTED_ON,
        "type": "routine",
        "officer_ids": officers,
        "hazards": [HAZARD],
    }


@ROWS.row("POST", f"{V1}/inspections", "body institution_id", FIELD.format(201), FIELD.format(422))
async def _inspection_create(w: World, s: Side) -> Req:
    return Req(json=_inspection(w.region(s).institution, w.own.officers[:2]))


@ROWS.row("POST", f"{V1}/inspections", "body officer_ids", FIELD.format(201), FIELD.format(422))
async def _inspection_create_officers(w: World, s: Side) -> Req:
    return Req(json=_inspection(w.own.institution, [w.own.officers[0], w.region(s).officers[1]]))


@ROWS.row("POST", f"{V1}/inspections", "inspector's officer not listed", "401 403 403 201 201 201", None)
async def _inspection_create_uninvolved(w: World, s: Side) -> Req:
    return Req(json=_inspection(w.own.institution, w.own.officers[1:3]))


@ROWS.row("GET", f"{V1}/inspections", "query region_code", READ, OUTSIDE)
async def _inspections(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.inspection)


@ROWS.row("GET", f"{V1}/inspections", "query institution_id", READ, READ)
async def _inspections_of_institution(w: World, s: Side) -> Req:
    return Req(params={"institution_id": w.region(s).institution}, shows=w.own.inspection if s == "own" else None)


@ROWS.row("GET", f"{V1}/inspections", "query officer_id", READ, READ)
async def _inspections_of_officer(w: World, s: Side) -> Req:
    return Req(params={"officer_id": w.region(s).officers[0]}, shows=w.own.inspection if s == "own" else None)


@ROWS.row("GET", f"{V1}/inspections/{{inspection_id}}", "path id", READ, HIDDEN)
async def _inspection_read(w: World, s: Side) -> Req:
    return Req(ids={"inspection_id": w.region(s).inspection})


@ROWS.row("PATCH", f"{V1}/inspections/{{inspection_id}}", "path id", FIELD.format(200), FIELD.format(404))
async def _inspection_patch(w: World, s: Side) -> Req:
    return Req(ids={"inspection_id": w.region(s).inspection}, json={"summary": "复查整改情况"})


@ROWS.row(
    "PATCH", f"{V1}/inspections/{{inspection_id}}", "inspector's officer not listed", "401 403 403 200 200 200", None
)
async def _inspection_patch_uninvolved(w: World, s: Side) -> Req:
    return Req(ids={"inspection_id": w.uninvolved_inspection}, json={"summary": "复查整改情况"})


@ROWS.row("POST", f"{V1}/inspections/{{inspection_id}}/hazards", "path id", FIELD.format(201), FIELD.format(404))
async def _hazard_add(w: World, s: Side) -> Req:
    return Req(ids={"inspection_id": w.region(s).inspection}, json=dict(HAZARD))


@ROWS.row(
    "POST",
    f"{V1}/inspections/{{inspection_id}}/hazards",
    "inspector's officer not listed",
    "401 403 403 201 201 201",
    None,
)
async def _hazard_add_uninvolved(w: World, s: Side) -> Req:
    return Req(ids={"inspection_id": w.uninvolved_inspection}, json=dict(HAZARD))


# ---- hazards and evidence ---------------------------------------------------------------------------------
@ROWS.row("GET", f"{V1}/hazards", "query region_code", READ, OUTSIDE)
async def _hazards(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.hazards[0])


@ROWS.row("GET", f"{V1}/hazards", "query institution_id", READ, READ)
async def _hazards_of_institution(w: World, s: Side) -> Req:
    return Req(params={"institution_id": w.region(s).institution}, shows=w.own.hazards[0] if s == "own" else None)


@ROWS.row("GET", f"{V1}/hazards/{{hazard_id}}", "path id", READ, HIDDEN)
async def _hazard(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[0]})


@ROWS.row("POST", f"{V1}/hazards/{{hazard_id}}/transitions", "start; path id", FIELD.format(200), FIELD.format(404))
async def _start(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": await w.fresh_hazard(s)}, json={"action": "start", "on": "2023-05-10"})


@ROWS.row("POST", f"{V1}/hazards/{{hazard_id}}/transitions", "verify; path id", MANAGE.format(200), FIELD.format(404))
async def _verify(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": await w.fresh_hazard(s, "rectified")}, json={"action": "verify", "on": "2023-05-11"})


@ROWS.row("POST", f"{V1}/hazards/{{hazard_id}}/transitions", "body evidence_ids", FIELD.format(200), FIELD.format(422))
async def _start_with_evidence(w: World, s: Side) -> Req:
    hazard = await w.fresh_hazard("own")
    evidence = await w.fresh_evidence(hazard, "own") if s == "own" else w.other.evidence
    return Req(ids={"hazard_id": hazard}, json={"action": "start", "on": "2023-05-10", "evidence_ids": [evidence]})


# Recording rectification and evidence is not limited to the inspection's own officers (API.md: inspectors
# "record rectification" in their region); these rows pin that down so a change of rule is a visible one.
@ROWS.row(
    "POST", f"{V1}/hazards/{{hazard_id}}/transitions", "start; inspector's officer not listed", FIELD.format(200), None
)
async def _start_uninvolved(w: World, s: Side) -> Req:
    hazard = await w.fresh_hazard("own", officer_ids=w.own.officers[1:3])
    return Req(ids={"hazard_id": hazard}, json={"action": "start", "on": "2023-05-10"})


@ROWS.row("GET", f"{V1}/hazards/{{hazard_id}}/history", "path id", READ, HIDDEN)
async def _history(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[0]})


@ROWS.row("POST", f"{V1}/hazards/{{hazard_id}}/evidence", "path id", FIELD.format(201), FIELD.format(404))
async def _evidence_add(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[1]}, files={"file": ("现场照片.png", png(), "image/png")})


@ROWS.row("POST", f"{V1}/hazards/{{hazard_id}}/evidence", "inspector's officer not listed", FIELD.format(201), None)
async def _evidence_add_uninvolved(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.uninvolved_hazard}, files={"file": ("现场照片.png", png(), "image/png")})


@ROWS.row("GET", f"{V1}/hazards/{{hazard_id}}/evidence", "path id", READ, HIDDEN)
async def _evidence_list(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[0]})


@ROWS.row("GET", f"{V1}/hazards/{{hazard_id}}/evidence/{{evidence_id}}", "path ids", READ, HIDDEN)
async def _evidence_file(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.region(s).hazards[0], "evidence_id": w.region(s).evidence})


@ROWS.row(
    "GET", f"{V1}/hazards/{{hazard_id}}/evidence/{{evidence_id}}", "evidence_id under an own hazard", READ, HIDDEN
)
async def _evidence_file_crossed(w: World, s: Side) -> Req:
    return Req(ids={"hazard_id": w.own.hazards[0], "evidence_id": w.region(s).evidence})


# ---- reports and exports ----------------------------------------------------------------------------------
@ROWS.row("GET", f"{V1}/reports/summary", "query region_code", READ, OUTSIDE)
async def _summary(w: World, s: Side) -> Req:
    return in_region(w, s, None, **{"from": "2023-01-01", "to": "2023-12-31"})


@ROWS.row("GET", f"{V1}/reports/breakdown", "query region_code", READ, OUTSIDE)
async def _breakdown(w: World, s: Side) -> Req:
    return in_region(w, s, None, group_by="institution", **{"from": "2023-01-01", "to": "2023-12-31"})


@ROWS.row("GET", f"{V1}/reports/annual", "query region_code", READ, OUTSIDE)
async def _annual(w: World, s: Side) -> Req:
    return in_region(w, s, None, year="2023")


@ROWS.row("GET", f"{V1}/exports/hazards.csv", "query region_code", READ, OUTSIDE)
async def _csv(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.institution_name)


@ROWS.row("GET", f"{V1}/exports/hazards.csv", "query institution_id", READ, READ)
async def _csv_of_institution(w: World, s: Side) -> Req:
    return Req(params={"institution_id": w.region(s).institution}, shows=w.own.institution_name if s == "own" else None)


@ROWS.row("GET", f"{V1}/exports/hazards.xlsx", "query region_code", READ, OUTSIDE)
async def _xlsx(w: World, s: Side) -> Req:
    return in_region(w, s)


# ---- public -----------------------------------------------------------------------------------------------
@ROWS.row("GET", "/healthz", "public", PUBLIC, None)
async def _healthz(w: World, s: Side) -> Req:
    return Req()


@ROWS.row("GET", "/readyz", "public", PUBLIC, None)
async def _readyz(w: World, s: Side) -> Req:
    return Req()
