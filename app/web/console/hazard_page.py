"""The hazard page `/console/hazards/{hazard_id}`: the hazard, its history, evidence and escalations, and the
workflow moves the caller may make (开始整改 / 整改完成 / 验收销号 / 退回整改 / 作废, and 整改方案). Thin: check the
session and CSRF, call the same service functions as the API with the session's principal, render.

Rules:
- The buttons are the moves whose rule in `app.hazards.workflow.TRANSITIONS` admits both the caller's role and
  the hazard's status (read from the table, not restated). A button opens the move's form (`?action=<move>`):
  `日期` (default today), `说明`, `证据材料` (files; JPEG, PNG, WebP or PDF, as the API's evidence upload) and,
  for 整改方案, the five 落实; `确定` posts it to the page's own path.
- The form carries the ETag the page was loaded with; the service applies the move only to that version, so a
  stale page answers 412 `该隐患已被他人更新,请刷新后重试` and changes nothing.
- A move the role may not make is 403, one the state no longer allows 409, a hazard outside the caller's
  region 404 (as the API); a bad date, a void without a note, a missing plan part: 422 beside the field, the
  form keeping what was typed.
- Evidence and the move are one transaction: each file is stored (`evidence.store_evidence`: content-checked,
  size-limited, its row flushed, not committed), then `service.transition` names them in its history entry and
  commits once. A refused move rolls the evidence rows back; a refused file (415 wrong type, 413 too large)
  stops before the move. Either way no row changes (a stored blob no row names is harmless: app.hazards.evidence).
- A hazard that does not exist or lies outside the caller's region is a Chinese 404 page (as the API's 404);
  so is an evidence file of another hazard. Images are shown inline, PDFs are downloaded.
- A successful move redirects (303) to the page with `?done=<move>`, which says what was recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from app.auth.principals import Principal
from app.core import clock
from app.core.deps import SettingsDep
from app.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    UnsupportedMediaType,
    ValidationFailed,
)
from app.db.deps import DatabaseDep
from app.deadlines import queries as deadline_queries
from app.hazards import evidence, queries, service
from app.hazards.deps import Effects
from app.hazards.models import ESCALATION_LABELS, HazardStatus, HistoryAction
from app.hazards.schemas import TransitionCreate
from app.hazards.workflow import TRANSITIONS, Action
from app.institutions import queries as institution_queries
from app.reports import labels
from app.web.console import sessions
from app.web.console.forms import field_errors, form_user, see_other
from app.web.console.pages import page, to_login
from app.web.console.register_labels import ROLE

router = APIRouter(include_in_schema=False)
PAGE = "/console/hazards/{hazard_id}"
HISTORY_PAGE = 500

ACTION = {
    HistoryAction.create: "登记",
    HistoryAction.start: "开始整改",
    HistoryAction.rectify: "整改完成",
    HistoryAction.verify: "验收销号",
    HistoryAction.reject: "退回整改",
    HistoryAction.void: "作废",
    HistoryAction.plan: "整改方案",
}
# The buttons, in UI.md's order; 整改方案 last.
MOVES = (Action.start, Action.rectify, Action.verify, Action.reject, Action.void, Action.plan)
MOVE_LABEL: dict[str, str] = {a.value: ACTION[HistoryAction(a.value)] for a in MOVES}
BUTTON = {**MOVE_LABEL, Action.plan.value: "填写整改方案"}
FIELD_LABELS = {
    "on": "日期",
    "note": "说明",
    "file": "证据材料",
    "evidence_ids": "证据材料",
    "rectification_plan": "整改方案",
    "rectification_plan.measures": "整改措施",
    "rectification_plan.responsible_person": "责任人",
    "rectification_plan.funds": "整改资金",
    "rectification_plan.deadline_note": "时限说明",
}
STALE = "该隐患已被他人更新,请刷新后重试"
NOT_ALLOWED = "您的角色({role})不能对隐患执行“{move}”"
NOT_NOW = "该隐患的当前状态已不能执行“{move}”,请查看下方的最新状态"
UNKNOWN_MOVE = "请从页面上的按钮选择要办理的事项"
BAD_FILE = "证据材料须为 JPEG、PNG、WebP 图片或 PDF 文件(按文件内容判断),本次未保存任何内容"
BIG_FILE = "证据材料每个文件不能超过 {mb} MB,本次未保存任何内容"
DONE = "已记录“{move}”"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _megabytes(size: int) -> str:
    """`10` for 10 MiB, `0.5` for half of one."""
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def allowed_moves(principal: Principal, status: HazardStatus) -> list[str]:
    """The moves whose workflow rule admits this role from this status, in button order."""
    return [a.value for a in MOVES if principal.role in TRANSITIONS[a].roles and status in TRANSITIONS[a].sources]


async def _all(fetch: Any) -> list[Any]:
    """Every page of a keyset-paged read (`fetch(cursor, limit)`), in order."""
    items: list[Any] = []
    position: str | None = None
    while True:
        batch, position = await fetch(position, HISTORY_PAGE)
        items.extend(batch)
        if position is None:
            return items


def _not_found(request: Request, settings: SettingsDep, principal: Principal) -> HTMLResponse:
    return page(request, settings, principal, "hazards_not_found.html", 404, active="hazards")


async def _detail(
    request: Request,
    session: AsyncSession,
    settings: SettingsDep,
    principal: Principal,
    hazard_id: uuid.UUID,
    status_code: int = 200,
    *,
    form: Mapping[str, Any] | None = None,
    notice: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """The page; `form` = the open move's form (action, etag, values, errors), `notice` an alert at the top."""
    try:
        hazard, tag = await service.get_hazard(session, hazard_id, principal)
        institution = await institution_queries.get_institution(session, hazard.institution_id, principal)
        history = await _all(partial(queries.list_history, session, hazard_id, principal))
        files = await _all(partial(evidence.list_evidence, session, hazard_id, principal))
        raised = await _all(partial(deadline_queries.hazard_escalations, session, hazard_id, principal))
    except NotFound:
        return _not_found(request, settings, principal)
    moves = allowed_moves(principal, hazard.status)
    return page(
        request,
        settings,
        principal,
        "hazards_detail.html",
        status_code,
        active="hazards",
        hazard=hazard,
        institution=institution,
        history=history,
        images=[f for f in files if f.content_type.startswith("image/")],
        documents=[f for f in files if not f.content_type.startswith("image/")],
        labels=labels,
        actions=ACTION,
        roles=ROLE,
        escalations=raised,
        escalation_labels=ESCALATION_LABELS,
        moves=moves,
        buttons=BUTTON,
        form=form if form is not None and form["action"] in moves else None,
        etag=tag,
        notice=notice,
        done=done,
        page_url=f"/console/hazards/{hazard_id}",
        today=clock.today().isoformat(),
        max_mb=_megabytes(settings.EVIDENCE_MAX_BYTES),
    )


@router.get(PAGE)
async def detail(request: Request, hazard_id: str, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        wanted = _uuid(hazard_id)
        if wanted is None:
            return _not_found(request, settings, principal)
        params = request.query_params
        chosen = params.get("action", "")
        form: dict[str, Any] | None = (
            {"action": chosen, "etag": None, "values": {}, "errors": {}} if chosen in BUTTON else None
        )
        done = params.get("done", "")
        message = DONE.format(move=MOVE_LABEL[done]) if done in BUTTON else None
        if message and params.get("files", "").isdigit() and int(params["files"]) > 0:
            message += f",附证据材料 {int(params['files'])} 份"
        return await _detail(request, session, settings, principal, wanted, form=form, done=message)


def _body(form: Mapping[str, Any], action: str) -> dict[str, Any]:
    """The API's transition body from the posted fields (an empty field is left out)."""

    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) and value.strip() else None

    body: dict[str, Any] = {"action": action, "on": text("on"), "note": text("note")}
    if action == Action.plan.value:
        body["rectification_plan"] = {
            "measures": text("measures") or "",
            "responsible_person": text("responsible_person") or "",
            "funds": text("funds"),
            "deadline_note": text("deadline_note"),
        }
    return body


def _files(form: Mapping[str, Any]) -> list[UploadFile]:
    """The chosen files (a browser sends an empty, nameless part when none is chosen)."""
    items = form.getlist("file") if isinstance(form, FormData) else []
    return [f for f in items if isinstance(f, UploadFile) and f.filename]


@router.post(PAGE)
async def act(request: Request, hazard_id: str, db: DatabaseDep, settings: SettingsDep, effects: Effects) -> Response:
    got = await form_user(request, db, settings)
    if isinstance(got, Response):
        return got
    principal, form = got
    try:
        return await _act(request, hazard_id, db, settings, effects, principal, form)
    finally:
        if isinstance(form, FormData):
            await form.close()  # the uploads' temporary files


async def _act(
    request: Request,
    hazard_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    effects: Effects,
    principal: Principal,
    form: Mapping[str, Any],
) -> Response:
    wanted = _uuid(hazard_id)
    action = str(form.get("action", ""))
    tag = str(form.get("etag", "")) or None
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in {"csrf_token", "etag"}}
    state: dict[str, Any] = {"action": action, "etag": tag, "values": values, "errors": {}}
    status_code, notice = 200, None
    if wanted is None:
        return _not_found(request, settings, principal)
    if action not in BUTTON:
        status_code, notice = 422, UNKNOWN_MOVE
    elif principal.role not in TRANSITIONS[Action(action)].roles:
        status_code, notice = 403, NOT_ALLOWED.format(role=ROLE.get(principal.role.value), move=MOVE_LABEL[action])
    if notice is None:
        status_code, notice, count = await _apply(db, settings, principal, wanted, form, state, effects)
        if status_code == 303:
            return see_other(f"/console/hazards/{wanted}?done={action}" + (f"&files={count}" if count else ""))
    async with db.query_session() as session:
        return await _detail(
            request,
            session,
            settings,
            principal,
            wanted,
            status_code,
            form=state if state["errors"] else None,
            notice=notice,
        )


async def _apply(
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Principal,
    hazard_id: uuid.UUID,
    form: Mapping[str, Any],
    state: dict[str, Any],
    effects: Effects,
) -> tuple[int, str | None, int]:
    """Store the files and apply the move in one transaction: (303, None, files) or (status, notice, 0) with
    `state["errors"]` filled for a field's problem."""
    action = state["action"]
    body = _body(form, action)
    files = _files(form)
    errors: dict[str, str] = state["errors"]
    try:
        TransitionCreate.model_validate(body)  # the form's own mistakes first: nothing is stored for them
    except ValidationError as exc:
        errors.update(field_errors(exc, FIELD_LABELS))
        return 422, None, 0
    async with db.write_session() as session:
        try:
            ids = []
            for upload in files:
                item, _created = await evidence.store_evidence(
                    session,
                    hazard_id,
                    upload,
                    upload.filename,
                    principal,
                    settings.DATA_DIR,
                    settings.EVIDENCE_MAX_BYTES,
                )
                ids.append(str(item.id))
            data = TransitionCreate.model_validate({**body, "evidence_ids": ids})
            await service.transition(session, hazard_id, data, state["etag"], principal, effects=effects)
        except NotFound:
            return 404, None, 0
        except PreconditionFailed:
            return 412, STALE, 0
        except Forbidden:
            return 403, NOT_ALLOWED.format(role=ROLE.get(principal.role.value), move=MOVE_LABEL[action]), 0
        except Conflict:
            return 409, NOT_NOW.format(move=MOVE_LABEL[action]), 0
        except UnsupportedMediaType:
            errors["file"] = BAD_FILE
            return 415, None, 0
        except PayloadTooLarge:
            errors["file"] = BIG_FILE.format(mb=_megabytes(settings.EVIDENCE_MAX_BYTES))
            return 413, None, 0
        except (ValidationError, ValidationFailed) as exc:
            errors.update(field_errors(exc, FIELD_LABELS))
            return 422, None, 0
    return 303, None, len(files)


@router.get(PAGE + "/evidence/{evidence_id}")
async def evidence_file(
    request: Request, hazard_id: str, evidence_id: str, db: DatabaseDep, settings: SettingsDep
) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        wanted, item_id = _uuid(hazard_id), _uuid(evidence_id)
        if wanted is None or item_id is None:
            return _not_found(request, settings, principal)
        try:
            item, path = await evidence.get_evidence_file(session, wanted, item_id, principal, settings.DATA_DIR)
        except NotFound:
            return _not_found(request, settings, principal)
    return FileResponse(
        path,
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type="inline" if item.content_type.startswith("image/") else "attachment",
        headers={"ETag": f'"{item.sha256}"', "X-Content-Type-Options": "nosniff", "Cache-Control": "private"},
    )
