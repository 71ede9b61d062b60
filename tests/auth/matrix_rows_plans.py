"""Matrix rows: officers' conflicts (回避), inspection plans, random draws (双随机) and the public pages
(一公开). See matrix_core for the columns.

The public routes answer anyone, the other region included: publishing is their purpose, so the runner does
not look for other-region records in their answers.
"""

from __future__ import annotations

from tests.auth.matrix_core import FIELD, HIDDEN, MANAGE, OUTSIDE, PUBLIC, READ, V1, Req, Table, hex8, in_region
from tests.auth.matrix_world import DRAWN_FOR, HAZARD, INSPECTED_ON, Side, World

ROWS = Table()


# ---- conflicts of interest --------------------------------------------------------------------------------
@ROWS.row("POST", f"{V1}/officers/{{officer_id}}/conflicts", "path id", MANAGE.format(201), MANAGE.format(404))
async def _conflict_create(w: World, s: Side) -> Req:
    return Req(
        ids={"officer_id": w.region(s).officers[2]},
        json={"institution_id": await w.fresh_institution("own"), "reason": "近亲属任该院院长"},
    )


@ROWS.row(
    "POST", f"{V1}/officers/{{officer_id}}/conflicts", "body institution_id", MANAGE.format(201), MANAGE.format(422)
)
async def _conflict_create_institution(w: World, s: Side) -> Req:
    institution = await w.fresh_institution("own") if s == "own" else w.other.institution
    return Req(ids={"officer_id": w.own.officers[2]}, json={"institution_id": institution, "reason": "曾任该院院长"})


@ROWS.row("GET", f"{V1}/officers/{{officer_id}}/conflicts", "path id", READ, HIDDEN)
async def _conflicts(w: World, s: Side) -> Req:
    return Req(ids={"officer_id": w.region(s).officers[0]})


# ---- plans and draws --------------------------------------------------------------------------------------
@ROWS.row("POST", f"{V1}/plans", "body region_code", MANAGE.format(201), OUTSIDE)
async def _plan_create(w: World, s: Side) -> Req:
    return Req(
        json={
            "year": 2023,
            "name": f"养老机构专项检查-{hex8()}",
            "kinds": ["elderly_care"],
            "region_code": w.region(s).code,
            "type": "special",
            "campaign": "养老院反诈专项行动",
            "period_from": "2023-04-01",
            "period_to": "2023-06-30",
        }
    )


@ROWS.row("GET", f"{V1}/plans", "query region_code", READ, OUTSIDE)
async def _plans(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.plan, year="2023")


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}", "path id", READ, HIDDEN)
async def _plan(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan})


@ROWS.row("PATCH", f"{V1}/plans/{{plan_id}}", "path id", MANAGE.format(200), MANAGE.format(404))
async def _plan_patch(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan}, json={"required_inspections": 1})


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}/coverage", "path id", READ, HIDDEN)
async def _coverage(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan}, shows=w.own.plan if s == "own" else None)


@ROWS.row("POST", f"{V1}/plans/{{plan_id}}/draws", "path id", MANAGE.format(201), MANAGE.format(404))
async def _draw_create(w: World, s: Side) -> Req:
    return Req(
        ids={"plan_id": w.region(s).plan},
        json={"planned_on": DRAWN_FOR, "count": 1, "reason": "原抽取人员回避，重新抽取"},
    )


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}/draws", "path id", READ, HIDDEN)
async def _draws(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan}, shows=w.own.draw if s == "own" else None)


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}/draws/{{draw_id}}", "path ids", READ, HIDDEN)
async def _draw(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan, "draw_id": w.region(s).draw})


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}/draws/{{draw_id}}", "draw_id under an own plan", READ, HIDDEN)
async def _draw_crossed(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.own.plan, "draw_id": w.region(s).draw})


@ROWS.row("GET", f"{V1}/plans/{{plan_id}}/draws/{{draw_id}}/verify", "path ids", READ, HIDDEN)
async def _draw_verify(w: World, s: Side) -> Req:
    return Req(ids={"plan_id": w.region(s).plan, "draw_id": w.region(s).draw})


@ROWS.row("POST", f"{V1}/inspections", "body plan_id", FIELD.format(201), FIELD.format(422))
async def _inspection_create_plan(w: World, s: Side) -> Req:
    return Req(
        json={
            "institution_id": w.own.institution,
            "inspected_on": INSPECTED_ON,
            "type": "routine",
            "officer_ids": w.own.officers[:2],
            "plan_id": w.region(s).plan,
            "hazards": [HAZARD],
        }
    )


# ---- public (一公开): no credentials needed, any region --------------------------------------------------
@ROWS.row("GET", f"{V1}/public/draws/{{draw_id}}", "public; path id", PUBLIC, PUBLIC)
async def _public_draw(w: World, s: Side) -> Req:
    return Req(ids={"draw_id": w.region(s).draw})


@ROWS.row("GET", f"{V1}/public/inspections", "public; query region_code", PUBLIC, PUBLIC)
async def _public_inspections(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.institution_name, year="2023")
