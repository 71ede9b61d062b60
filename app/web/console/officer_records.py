"""The officer page's own forms: `POST /console/officers/{id}/trainings` (执法培训) and
`POST /console/officers/{id}/conflicts` (回避). (Its 证件变更 form posts to the officer's edit page.)

Rules:
- Admins and supervisors only (403 page otherwise); the API's bodies (`TrainingCreate`, `ConflictCreate`) and
  service functions (`add_training`, `add_conflict`) with the session's principal: a training not yet held, an
  institution outside the caller's region are refused as the API refuses them.
- Refused, the officer's page answers 422 with the message beside the field, keeping what was typed; an officer
  unknown or outside the caller's region is the 404 page. Declaring a conflict already declared keeps the first.
- Saved, the browser goes back (303) to the officer's page, at the section changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.deps import SettingsDep
from app.core.errors import NotFound, ValidationFailed
from app.db.deps import DatabaseDep
from app.officers import service
from app.officers.schemas import ConflictCreate, TrainingCreate
from app.web.console.forms import field_errors, see_other
from app.web.console.queryform import not_found, parse_id
from app.web.console.register_forms import body_of, posted, writer_form
from app.web.console.registers import OFFICERS, officer_page

router = APIRouter(include_in_schema=False)
TRAINING_LABELS = {"held_on": "培训日期", "hours": "学时", "topic": "培训内容"}
CONFLICT_LABELS = {"institution_id": "机构", "reason": "回避事由"}

Adder = Callable[[AsyncSession, Any, Any, Principal], Awaitable[Any]]


async def _add(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    officer_id: str,
    form_name: str,
    body: type[BaseModel],
    labels: dict[str, str],
    add: Adder,
) -> Response:
    got = await writer_form(request, db, settings)
    if isinstance(got, Response):
        return got
    principal, form = got
    values = posted(form, labels)
    try:
        ident = parse_id(officer_id)
        if ident is None:
            raise NotFound(officer_id)
        data = body.model_validate(body_of(values, frozenset(labels)))
        async with db.write_session() as session:
            await add(session, ident, data, principal)
    except NotFound:
        return not_found(request, settings, principal, "执法人员", OFFICERS, "返回执法人员名录")
    except (ValidationError, ValidationFailed) as exc:
        errors = field_errors(exc, labels)
        async with db.query_session() as session:
            return await officer_page(
                request,
                settings,
                principal,
                session,
                officer_id,
                422,
                **{form_name: {"values": values, "errors": errors}},
            )
    return see_other(f"{OFFICERS}/{ident}#{form_name}")


@router.post(OFFICERS + "/{officer_id}/trainings")
async def add_training(officer_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _add(
        request, db, settings, officer_id, "training", TrainingCreate, TRAINING_LABELS, service.add_training
    )


@router.post(OFFICERS + "/{officer_id}/conflicts")
async def add_conflict(officer_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _add(
        request, db, settings, officer_id, "conflict", ConflictCreate, CONFLICT_LABELS, service.add_conflict
    )
