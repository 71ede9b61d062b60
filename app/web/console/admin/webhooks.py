"""Webhook: `/console/admin/webhooks` (the subscriptions and the create form) and
`/console/admin/webhooks/{webhook_id}` (the subscription, 启用 / 停用, 发送测试, 删除, and its delivery log with
`重试` on each failed delivery). Thin: the API's own `events.webhooks.service` and `queries` with the admin's
principal.

Rules (those of API.md "Webhooks"):
- A subscription lies inside the admin's region (`行政区划代码`, default the admin's own; outside it is 422
  beside the field); the URL is checked as by the API (https to a public host, or a host of
  `WEBHOOK_ALLOWED_HOSTS`): a refused one is 422 beside `网址` with the reason, and nothing is stored.
- The signing secret is shown once, in the answer to the create (`data-secret`), never again.
- Deliveries are listed newest first, 50 a page, with their status, attempts, last HTTP status and last error;
  `状态` filters them. `重试` (a failed delivery only) queues one more attempt now, as
  `POST /webhooks/{id}/deliveries/{delivery_id}/retry`; a delivery no longer failed is 409 with the reason.
- 删除 drops the subscription and its deliveries. Subscriptions of other regions are the Chinese 404 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.auth.principals import Principal
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.db.deps import DatabaseDep
from app.db.outbox import EventType
from app.db.session import Database
from app.events.webhooks import queries, service
from app.events.webhooks.models import DeliveryStatus
from app.events.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead, WebhookUpdate
from app.events.webhooks.urls import AllowList
from app.web.console.admin.common import (
    ADMIN,
    AdminList,
    admin_form,
    admin_viewer,
    list_view,
    page_errors,
    parse,
    text_fields,
)
from app.web.console.forms import see_other
from app.web.console.queryform import not_found, parse_id

router = APIRouter(include_in_schema=False)
WEBHOOKS = ADMIN + "/webhooks"
LABELS = {"url": "网址", "event_types": "事件类型", "region_code": "行政区划代码", "description": "说明"}
EVENT_LABELS = {
    EventType.inspection_created: "新建检查",
    EventType.inspection_updated: "检查记录修改",
    EventType.hazard_created: "新发现隐患",
    EventType.hazard_transitioned: "隐患状态变更",
    EventType.hazard_due_soon: "隐患整改即将到期",
    EventType.hazard_overdue: "隐患整改逾期",
    EventType.escalation_raised: "督办升级",
    EventType.follow_up_due: "回头看到期",
    EventType.officer_certificate_expiring: "执法证即将到期",
    EventType.draw_created: "双随机抽取",
    EventType.webhook_test: "测试",
}
SUBSCRIBABLE = {t.value: label for t, label in EVENT_LABELS.items() if t != EventType.webhook_test}
STATUS_LABELS = {DeliveryStatus.pending: "待发送", DeliveryStatus.delivered: "已送达", DeliveryStatus.failed: "失败"}
CONTEXT = {"event_labels": {t.value: label for t, label in EVENT_LABELS.items()}, "subscribable": SUBSCRIBABLE}


def _allowed(settings: Settings) -> AllowList:
    return AllowList.parse(settings.WEBHOOK_ALLOWED_HOSTS)


async def _hooks(session: AsyncSession, principal: Principal, cursor: str | None, limit: int) -> Any:
    found, next_cursor = await queries.list_webhooks(session, principal, cursor, limit)
    return [WebhookRead.model_validate(w) for w in found], next_cursor  # never the secret


HOOK_LIST = AdminList("admin/webhooks.html", _hooks, lambda _: {"enabled": "on"}, CONTEXT)


@router.get(WEBHOOKS)
async def webhook_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await HOOK_LIST.get(request, db, settings)


@router.post(WEBHOOKS)
async def create_webhook(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, posted = found
    assert isinstance(posted, FormData)
    values: dict[str, Any] = text_fields(posted, "url", "region_code", "description", "enabled")
    values["event_types"] = [t for t in posted.getlist("event_types") if isinstance(t, str)]
    body = {k: v for k, v in values.items() if k != "enabled"} | {"enabled": values["enabled"] == "on"}
    if not body["region_code"]:
        del body["region_code"]  # the admin's own region (the API's default)
    try:
        data = parse(WebhookCreate, body)
        async with db.write_session() as session:
            hook, secret = await service.create_webhook(session, data, principal, _allowed(settings))
    except (ValidationError, ValidationFailed, Forbidden) as exc:
        errors, status_code = page_errors(exc, LABELS)
        errors = {key.split(".", 1)[0]: message for key, message in reversed(errors.items())}  # event_types.0
        return await HOOK_LIST.show(request, db, settings, principal, values, errors, status_code)
    created = (WebhookRead.model_validate(hook), secret)
    return await HOOK_LIST.show(request, db, settings, principal, created=created)


def _deliveries(webhook_id: uuid.UUID, status: DeliveryStatus | None) -> Callable[..., Awaitable[Any]]:
    async def lister(
        session: AsyncSession, principal: Principal, cursor: str | None, limit: int
    ) -> tuple[Sequence[DeliveryRead], str | None]:
        found, next_cursor = await queries.list_deliveries(session, webhook_id, principal, status, cursor, limit)
        return [DeliveryRead.model_validate(d) for d in found], next_cursor

    return lister


async def _detail(
    request: Request,
    db: Database,
    settings: Settings,
    principal: Principal,
    webhook_id: str,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    ident = parse_id(webhook_id)
    try:
        if ident is None:
            raise NotFound(webhook_id)
        async with db.query_session() as session:
            hook = WebhookRead.model_validate(await queries.get_webhook(session, ident, principal))
    except NotFound:
        return not_found(request, settings, principal, "Webhook", WEBHOOKS, "返回Webhook列表")
    raw = request.query_params.get("status", "") if request.method == "GET" else ""
    status = DeliveryStatus(raw) if raw in DeliveryStatus.__members__ else None
    return await list_view(
        request,
        db,
        settings,
        principal,
        "admin/webhook.html",
        _deliveries(ident, status),
        status_code,
        None,
        hook=hook,
        message=message,
        status_filter=status.value if status else "",
        status_labels={s.value: label for s, label in STATUS_LABELS.items()},
        **CONTEXT,
    )


@router.get(WEBHOOKS + "/{webhook_id}")
async def webhook_detail(webhook_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await admin_viewer(request, db, settings)
    if isinstance(principal, Response):
        return principal
    return await _detail(request, db, settings, principal, webhook_id)


@router.post(WEBHOOKS + "/{webhook_id}")
async def change_webhook(webhook_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """`action` = enable (启用), disable (停用), test (发送测试) or delete (删除)."""
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, posted = found
    action = text_fields(posted, "action")["action"]
    ident = parse_id(webhook_id)
    if ident is None or action not in {"enable", "disable", "test", "delete"}:
        return await _detail(request, db, settings, principal, webhook_id)
    try:
        async with db.write_session() as session:
            if action == "delete":
                await service.delete_webhook(session, ident, principal)
                return see_other(WEBHOOKS)
            if action == "test":
                await service.send_test(session, ident, principal)
            else:
                change = WebhookUpdate(enabled=action == "enable")
                await service.update_webhook(session, ident, change, principal, _allowed(settings))
    except NotFound:
        return await _detail(request, db, settings, principal, webhook_id)
    return see_other(f"{WEBHOOKS}/{ident}")


@router.post(WEBHOOKS + "/{webhook_id}/deliveries/{delivery_id}/retry")
async def retry_delivery(
    webhook_id: str, delivery_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> Response:
    found = await admin_form(request, db, settings)
    if isinstance(found, Response):
        return found
    principal, _ = found
    hook_id, ident = parse_id(webhook_id), parse_id(delivery_id)
    try:
        if hook_id is None or ident is None:
            raise NotFound(delivery_id)
        async with db.write_session() as session:
            await service.retry_delivery(session, hook_id, ident, principal)
    except NotFound:
        return not_found(request, settings, principal, "投递记录", WEBHOOKS, "返回Webhook列表")
    except Conflict:
        return await _detail(request, db, settings, principal, webhook_id, NOT_FAILED, 409)
    return see_other(f"{WEBHOOKS}/{hook_id}")


NOT_FAILED = "该投递已不是“失败”状态(可能已重试或已送达),无需重试。请查看下方最新状态。"
