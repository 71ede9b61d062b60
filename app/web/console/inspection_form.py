"""新建检查: `/console/inspections/new`, the desk form to record an inspection with its hazards. Thin: check the
session, CSRF and role, parse the form into the API's own `InspectionCreate`, call the same
`inspections.service.create_inspection` as `POST /api/v1/inspections` with the session's principal.

Rules:
- Inspectors, supervisors and admins may record (the API's `FIELD_ROLES`); a viewer gets the Chinese 403 page for
  the form and for a POST, and the list shows no `新建检查` link. An inspector's own officer is ticked by default;
  the service still refuses an inspection it does not take part in (403, the message beside 执法人员).
- The form lists the institutions and officers of the caller's region, each officer with its certificate (status,
  dates) and whether it is certified on the form's date as the officer model computes it; the service decides:
  an officer not certified on the date, fewer than two, or a record outside the region is a message beside
  执法人员 (or beside the officer's own checkbox), 422, nothing stored.
- Hazards: `hazard_rows` fieldsets named `hazards.<n>.<field>`; a fieldset left blank is no hazard. `添加隐患`
  re-renders with one more fieldset, keeping every value typed. On a re-render the filled fieldsets come first,
  in order, so an error `hazards.<n>.description` sits beside the n-th hazard's 描述.
- The record's client id (`id`) is made once when the form is first shown and carried through re-renders: a
  second click or a reload of the POST replays (the API's replay rule) and lands on the same record; the same
  id with other content (the form saved, then changed and sent again) is 409 with a link to the saved record.
- Success is 303 to `/console/inspections/{id}`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.auth.deps import FIELD_ROLES
from app.auth.principals import Principal
from app.core import clock
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.messages_zh import business_message
from app.db.deps import DatabaseDep
from app.hazards.deps import Deadlines
from app.inspections import service
from app.inspections.deps import Plans
from app.inspections.schemas import InspectionCreate
from app.institutions import queries as institutions
from app.officers import service as officers
from app.reports.labels import CATEGORY, KIND, SEVERITY
from app.web.console.forms import allowed_form, allowed_user, field_errors, see_other
from app.web.console.pages import page
from app.web.console.queryform import parse_id
from app.web.console.register_labels import CERTIFICATE_STATUS, INSTITUTION_STATUS

router = APIRouter(include_in_schema=False)
NEW = "/console/inspections/new"
RECORD = "/console/inspections/{}"
CHOICES = 1000  # institutions and officers offered (a county's register fits; more: a note on the form)
MAX_HAZARDS = 200  # InspectionCreate.hazards' own limit
HAZARD_FIELDS = ("category", "severity", "description", "due_on")
FIELDS = ("id", "institution_id", "inspected_on", "type", "campaign", "summary")
ADD_HAZARD = "add_hazard"
ROLE_REFUSED = "您的角色只能查看,不能登记检查。登记检查需要检查员、科室负责人或管理员账号。"
SAVED_DIFFERENTLY = (
    "这张表单已经保存过一条检查记录,本次提交的内容与之不同,未保存。请查看已保存的记录,或重新打开“新建检查”。"
)
LABELS = {
    "id": "表单编号",
    "institution_id": "机构",
    "inspected_on": "检查日期",
    "type": "检查类型",
    "campaign": "专项名称",
    "officer_ids": "执法人员",
    "summary": "检查情况",
    "hazards": "隐患",
    "hazards.category": "类别",
    "hazards.severity": "等级",
    "hazards.description": "描述",
    "hazards.due_on": "整改期限",
}
CONTEXT = {"kinds": KIND, "categories": CATEGORY, "severities": SEVERITY, "certificates": CERTIFICATE_STATUS}


@dataclass
class DeskForm:
    """The form as typed (text), kept whole for a re-render."""

    values: dict[str, str]
    officer_ids: list[str]
    hazards: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def blank(cls, principal: Principal) -> DeskForm:
        own = [str(principal.officer_id)] if principal.officer_id else []
        values = {"id": str(uuid.uuid4()), "inspected_on": clock.today().isoformat(), "type": "routine"}
        return cls(values, own, [_blank_row()])

    @classmethod
    def parse(cls, form: FormData) -> DeskForm:
        values = {name: str(form.get(name, "")).strip() for name in FIELDS}
        values["id"] = values["id"] or str(uuid.uuid4())
        rows = [{f: str(form.get(f"hazards.{i}.{f}", "")).strip() for f in HAZARD_FIELDS} for i in range(_rows(form))]
        filled = [r for r in rows if any(r.values())]
        blanks = [_blank_row() for _ in range(len(rows) - len(filled))] or ([] if filled else [_blank_row()])
        return cls(values, [str(v) for v in form.getlist("officer_ids")], filled + blanks)

    def body(self) -> dict[str, Any]:
        """The request body: blank fields left out (so they read as not given), blank fieldsets dropped."""
        body: dict[str, Any] = {k: v for k, v in self.values.items() if v}
        body["officer_ids"] = self.officer_ids
        body["hazards"] = [{k: v for k, v in row.items() if v} for row in self.hazards if any(row.values())]
        return body


def _blank_row() -> dict[str, str]:
    return dict.fromkeys(HAZARD_FIELDS, "")


def _rows(form: FormData) -> int:
    raw = str(form.get("hazard_rows", "1"))
    return min(int(raw), MAX_HAZARDS) if raw.isdigit() else 1


def _officer_errors(errors: dict[str, str], desk: DeskForm, listed: set[str]) -> dict[str, str]:
    """`officer_ids.<n>` (the n-th ticked) becomes `officer_ids.<its id>` beside its checkbox when it is listed,
    else it joins the message of the whole `officer_ids` group."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        head, _, index = key.partition(".")
        if head != "officer_ids" or not index.isdigit():
            out[key] = message
            continue
        ticked = desk.officer_ids[int(index)] if int(index) < len(desk.officer_ids) else ""
        if ticked in listed:
            out.setdefault(f"officer_ids.{ticked}", message)
        else:
            out.setdefault("officer_ids", message)
    return out


async def _form_page(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    principal: Principal,
    desk: DeskForm,
    errors: Mapping[str, str],
    status_code: int,
    saved_id: str | None = None,
) -> Response:
    found, more_institutions = await institutions.list_institutions(
        session, principal, institutions.InstitutionFilters(), None, CHOICES
    )
    people, more_officers = await officers.list_officers(session, principal, officers.OfficerFilters(), None, CHOICES)
    day = clock.today()
    if typed := desk.values.get("inspected_on", ""):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(typed)
    shown = _officer_errors(dict(errors), desk, {str(o.id) for o in people})
    return page(
        request,
        settings,
        principal,
        "inspections/new.html",
        status_code,
        desk=desk,
        errors=shown,
        institutions=found,
        institution_status=INSTITUTION_STATUS,
        officers=[(o, o.certified_on(day)) for o in people],
        day=day,
        more_choices=more_institutions is not None or more_officers is not None,
        saved_id=saved_id,
        **CONTEXT,
    )


@router.get(NEW)
async def new_inspection(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await allowed_user(request, db, settings, FIELD_ROLES, ROLE_REFUSED)
    if isinstance(principal, Response):
        return principal
    async with db.query_session() as session:
        return await _form_page(request, settings, session, principal, DeskForm.blank(principal), {}, 200)


@router.post(NEW)
async def record_inspection(
    request: Request, db: DatabaseDep, settings: SettingsDep, plans: Plans, deadlines: Deadlines
) -> Response:
    got = await allowed_form(request, db, settings, FIELD_ROLES, ROLE_REFUSED)
    if isinstance(got, Response):
        return got
    principal, form = got
    desk = DeskForm.parse(form)
    status_code, errors, saved_id = 200, {}, None
    if form.get("action") == ADD_HAZARD:
        if len(desk.hazards) < MAX_HAZARDS:
            desk.hazards.append(_blank_row())
    else:
        try:
            data = InspectionCreate.model_validate(desk.body())
            async with db.write_session() as session:
                recorded, _ = await service.create_inspection(session, data, principal, plans, deadlines)
            return see_other(RECORD.format(recorded.id))
        except (ValidationError, ValidationFailed) as exc:
            status_code, errors = 422, field_errors(exc, LABELS)
        except Forbidden as exc:
            status_code, errors = 403, {"officer_ids": business_message(exc.detail, LABELS["officer_ids"])}
        except Conflict:
            status_code, errors = 409, {"": SAVED_DIFFERENTLY}
            saved_id = str(parse_id(desk.values["id"]))
    async with db.query_session() as session:
        return await _form_page(request, settings, session, principal, desk, errors, status_code, saved_id)
