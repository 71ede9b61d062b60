"""检查计划: `/console/plans` (plans with their coverage) and `/console/plans/{plan_id}` (coverage by township,
the institutions not yet visited or partly covered, the draws with their teams and verification). Thin: check
the session, read the query, call the plans' own service functions with the session's principal.

Rules:
- The list takes the API's filters `year` (2000–2100) and `region_code`, in the API's order, 50 a page; each
  plan shows its coverage as `plans.service.coverage` computes it (covered / partly / not yet visited).
- A draw is shown with the result of `plans.draws.verify` (recomputed from its stored seed and candidates, and
  its signature checked): `验证通过` or `验证未通过` with which check failed.
- Rates are written as in the annual paragraph (`100%`, `66.7%`, `—` when nothing is in scope).
- A plan outside the caller's region, unknown, or not a UUID is the Chinese 404 page.
- For the roles that make plans and draws (the API's MANAGER_ROLES) the list links `制定计划` and a plan's page
  carries the draw form (`抽取` / `重新抽取` with a reason); both post to app.web.console.plan_forms.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.deps import MANAGER_ROLES
from app.auth.principals import Principal
from app.core import clock
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import NotFound
from app.db.deps import DatabaseDep
from app.plans import draws, service
from app.plans.schemas import PlanRead
from app.reports.labels import KIND
from app.web.console import sessions
from app.web.console.pages import page, rate, to_login
from app.web.console.queryform import PAGE_SIZE, QueryForm, list_page, not_found, parse_id
from app.web.console.register_labels import INSPECTION_TYPE

router = APIRouter(include_in_schema=False)
PLANS = "/console/plans"
DRAWS_SHOWN = 50
LABELS = {"kind": KIND, "type": INSPECTION_TYPE}
DRAW_DEFAULTS = {"team_size": "2", "max_teams_per_officer": "2"}


@router.get(PLANS)
async def plan_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        form = QueryForm(request.query_params)
        year = form.year("year", default=None)
        region_code = form.region()

        async def fetch(position: str | None) -> tuple[Sequence[Any], str | None]:
            found, next_cursor = await service.list_plans(session, principal, year, region_code, position, PAGE_SIZE)
            rows = [(p, await service.coverage(session, p.id, principal)) for p in found]
            return rows, next_cursor

        return await list_page(
            request,
            settings,
            principal,
            form,
            "plans/plans.html",
            fetch,
            labels=LABELS,
            rate=rate,
            can_plan=principal.role in MANAGER_ROLES,
        )


@router.get(PLANS + "/{plan_id}")
async def plan_detail(plan_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        return await plan_page(request, settings, session, principal, parse_id(plan_id))


async def plan_page(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    principal: Principal,
    ident: uuid.UUID | None,
    status_code: int = 200,
    draw_form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Response:
    """The plan with its coverage and draws; for the roles that may draw, the draw form (as typed, with its
    errors after a refused POST, app.web.console.plan_forms)."""
    try:
        if ident is None:
            raise NotFound("plan")
        plan = PlanRead.model_validate(await service.get_plan(session, ident, principal))
    except NotFound:
        return not_found(request, settings, principal, "检查计划", PLANS, "返回检查计划")
    coverage = await service.coverage(session, ident, principal)
    drawn, more_draws = await draws.list_draws(session, ident, principal, None, DRAWS_SHOWN)
    checks = {
        d.id: draws.verify(await draws.get_draw(session, ident, d.id, principal), settings.draw_keys) for d in drawn
    }
    latest = await draws.latest_draw_id(session, ident)
    return page(
        request,
        settings,
        principal,
        "plans/plan.html",
        status_code,
        plan=plan,
        coverage=coverage,
        draws=drawn,
        checks=checks,
        more_draws=more_draws is not None,
        labels=LABELS,
        rate=rate,
        can_draw=principal.role in MANAGER_ROLES,
        latest=latest,
        draw_form=draw_form or {**DRAW_DEFAULTS, "planned_on": clock.today().isoformat()},
        errors=errors or {},
    )
