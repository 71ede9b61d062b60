"""检查计划, the writes: `/console/plans/new` (制定计划) and the draw form on `/console/plans/{plan_id}` (抽取,
重新抽取). Thin: check the session, CSRF and role, parse the form into the API's own `PlanCreate` / `DrawCreate`,
call the same `plans.service.create_plan` / `plans.draws.make_draw` as the API with the session's principal.

Rules:
- Admins and supervisors make plans and draw (the API's `MANAGER_ROLES`); other roles get the Chinese 403 page
  for the form and for a POST, and see neither `制定计划` nor the draw form.
- A plan's region defaults to the caller's; a region outside it is refused by the service (403, the message
  beside 行政区划代码, nothing stored). Bad input is 422 with the message beside its control, the form as typed.
- The plan form's client id (`id`) is made once when the form is shown: a second click replays (the API's rule)
  and lands on the same plan; the same id with other content is 409 with a link to the saved plan.
- The draw form names the latest draw its page showed (`seen`); when the plan was drawn since (a second click,
  another desk) nothing is drawn (409) and the page shows the draws as they are now. A redraw needs `重新抽取理由`
  (the service's rule). Exactly one of 抽取数量 and 抽取比例 (0–1) is given; a message about both sits beside
  抽取数量. The draw's verification is shown with it on the plan's page (303 there).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.auth.deps import MANAGER_ROLES
from app.auth.principals import Principal
from app.core import clock
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.messages_zh import business_message
from app.db.deps import DatabaseDep
from app.plans import draws, service
from app.plans.schemas import DrawCreate, PlanCreate
from app.reports.labels import KIND
from app.web.console.forms import allowed_form, allowed_user, field_errors, see_other
from app.web.console.pages import page
from app.web.console.plans import PLANS, plan_page
from app.web.console.queryform import parse_id

router = APIRouter(include_in_schema=False)
NEW = PLANS + "/new"
PLAN_FIELDS = ("id", "year", "name", "region_code", "type", "campaign", "period_from", "period_to")
DRAW_FIELDS = ("planned_on", "count", "ratio", "team_size", "max_teams_per_officer", "seed", "reason")
ROLE_REFUSED = "制定检查计划和随机抽取需要科室负责人或管理员账号,您的角色只能查看。"
PLAN_SAVED_DIFFERENTLY = (
    "这张表单已经保存过一个检查计划,本次提交的内容与之不同,未保存。请查看已保存的计划,或重新打开“制定计划”。"
)
DRAWN_SINCE = (
    "该计划刚刚已有新的抽取结果(可能是重复点击或他人操作),本次未抽取。"
    "请先查看下方最新的抽取结果;确需重新抽取,请填写理由后再提交。"
)
PLAN_LABELS = {
    "id": "表单编号",
    "year": "年度",
    "name": "计划名称",
    "kinds": "机构类型",
    "region_code": "行政区划代码",
    "type": "检查类型",
    "campaign": "专项名称",
    "period_from": "计划开始日期",
    "period_to": "计划结束日期",
    "required_inspections": "每家应检次数",
}
DRAW_LABELS = {
    "planned_on": "计划检查日期",
    "count": "抽取数量",
    "ratio": "抽取比例",
    "team_size": "每组人数",
    "max_teams_per_officer": "每人最多参加组数",
    "seed": "随机种子",
    "reason": "重新抽取理由",
}


def _typed(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in names}


def _given(values: Mapping[str, str]) -> dict[str, Any]:
    """The request body: blank fields left out, so they read as not given (the schema's default or `missing`)."""
    return {k: v for k, v in values.items() if v}


def _placed(errors: dict[str, str], whole: str) -> dict[str, str]:
    """Errors of the whole form (key "") beside the control `whole`; `kinds.<n>` beside 机构类型."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        out.setdefault(whole if key == "" else key.split(".")[0] if key.startswith("kinds.") else key, message)
    return out


def _plan_form(
    request: Request,
    settings: Settings,
    principal: Principal,
    values: Mapping[str, str],
    kinds: list[str],
    errors: Mapping[str, str],
    status_code: int = 200,
    saved_id: str | None = None,
) -> Response:
    return page(
        request,
        settings,
        principal,
        "plans/new.html",
        status_code,
        form=values,
        kinds=kinds,
        errors=errors,
        kind_labels=KIND,
        saved_id=saved_id,
    )


@router.get(NEW)
async def new_plan(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await allowed_user(request, db, settings, MANAGER_ROLES, ROLE_REFUSED)
    if isinstance(principal, Response):
        return principal
    year = clock.today().year
    values = {
        "id": str(uuid.uuid4()),
        "year": str(year),
        "region_code": principal.region_code,
        "type": "routine",
        "period_from": f"{year}-01-01",
        "period_to": f"{year}-12-31",
        "required_inspections": "1",
    }
    return _plan_form(request, settings, principal, values, [], {})


@router.post(NEW)
async def create_plan(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    got = await allowed_form(request, db, settings, MANAGER_ROLES, ROLE_REFUSED)
    if isinstance(got, Response):
        return got
    principal, form = got
    values = _typed(form, (*PLAN_FIELDS, "required_inspections"))
    values["id"] = values["id"] or str(uuid.uuid4())
    kinds = [str(k) for k in form.getlist("kinds")]
    try:
        data = PlanCreate.model_validate({**_given(values), "kinds": kinds})
        async with db.write_session() as session:
            plan, _ = await service.create_plan(session, data, principal)
        return see_other(f"{PLANS}/{plan.id}")
    except (ValidationError, ValidationFailed) as exc:
        errors = _placed(field_errors(exc, PLAN_LABELS), "period_to")
        return _plan_form(request, settings, principal, values, kinds, errors, 422)
    except Forbidden as exc:
        errors = {"region_code": business_message(exc.detail, PLAN_LABELS["region_code"])}
        return _plan_form(request, settings, principal, values, kinds, errors, 403)
    except Conflict:
        saved = str(parse_id(values["id"]))
        return _plan_form(request, settings, principal, values, kinds, {"": PLAN_SAVED_DIFFERENTLY}, 409, saved)


@router.post(PLANS + "/{plan_id}")
async def draw(plan_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    got = await allowed_form(request, db, settings, MANAGER_ROLES, ROLE_REFUSED)
    if isinstance(got, Response):
        return got
    principal, form = got
    ident = parse_id(plan_id)
    values = _typed(form, DRAW_FIELDS)
    seen_raw = str(form.get("seen", "")).strip()
    seen = parse_id(seen_raw) if seen_raw else None
    status_code, errors = 200, {}
    try:
        if ident is None:
            raise NotFound(plan_id)
        data = DrawCreate.model_validate(_given(values))
        async with db.write_session() as session:
            made = await draws.make_draw(session, ident, data, principal, settings.draw_keys, seen=seen)
        return see_other(f"{PLANS}/{ident}#draw-{made.id}")
    except NotFound:
        pass  # the plan page below answers the Chinese 404
    except (ValidationError, ValidationFailed) as exc:
        status_code, errors = 422, _placed(field_errors(exc, DRAW_LABELS), "count")
    except Forbidden as exc:
        status_code, errors = 403, {"": business_message(exc.detail, "")}
    except Conflict:
        status_code, errors = 409, {"": DRAWN_SINCE}
    async with db.query_session() as session:
        return await plan_page(request, settings, session, principal, ident, status_code, values, errors)
