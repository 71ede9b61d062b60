"""Routes: /webhooks (admins) — subscriptions, their delivery log, test and retry. Thin: parse, one call, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import AdminPrincipal
from app.core.deps import SettingsDep
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, WriteSession
from app.events.webhooks import queries, service
from app.events.webhooks.models import DeliveryStatus
from app.events.webhooks.schemas import (
    Accepted,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from app.events.webhooks.urls import AllowList

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ADMIN_ERRORS = (401, 403, 404, 422)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    summary="Subscribe a URL to events (the secret is shown only in this answer)",
    responses=problem_responses(401, 403, 422),
)
async def create_webhook(
    data: WebhookCreate, principal: AdminPrincipal, session: WriteSession, settings: SettingsDep, response: Response
) -> WebhookCreated:
    hook, secret = await service.create_webhook(
        session, data, principal, AllowList.parse(settings.WEBHOOK_ALLOWED_HOSTS)
    )
    response.headers["Location"] = f"/api/v1/webhooks/{hook.id}"
    return WebhookCreated.model_validate({**WebhookRead.model_validate(hook).model_dump(), "secret": secret})


@router.get(
    "", response_model=Page[WebhookRead], summary="List subscriptions", responses=problem_responses(401, 403, 422)
)
async def list_webhooks(
    principal: AdminPrincipal, session: ReadSession, cursor: Cursor, limit: Annotated[Limit, Query()] = 50
) -> Page[WebhookRead]:
    items, next_cursor = await queries.list_webhooks(session, principal, cursor.position, limit)
    return Page(items=[WebhookRead.model_validate(w) for w in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{webhook_id}",
    response_model=WebhookRead,
    summary="One subscription (never its secret)",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def get_webhook(webhook_id: uuid.UUID, principal: AdminPrincipal, session: ReadSession) -> WebhookRead:
    return WebhookRead.model_validate(await queries.get_webhook(session, webhook_id, principal))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookRead,
    summary="Change a subscription",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def update_webhook(
    webhook_id: uuid.UUID, data: WebhookUpdate, principal: AdminPrincipal, session: WriteSession, settings: SettingsDep
) -> WebhookRead:
    allowed = AllowList.parse(settings.WEBHOOK_ALLOWED_HOSTS)
    return WebhookRead.model_validate(await service.update_webhook(session, webhook_id, data, principal, allowed))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unsubscribe (pending deliveries are dropped)",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def delete_webhook(webhook_id: uuid.UUID, principal: AdminPrincipal, session: WriteSession) -> Response:
    await service.delete_webhook(session, webhook_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Deliver a webhook.test event to this subscription only",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def test_webhook(webhook_id: uuid.UUID, principal: AdminPrincipal, session: WriteSession) -> Accepted:
    delivery = await service.send_test(session, webhook_id, principal)
    return Accepted(delivery_id=delivery.id, status=delivery.status)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="The delivery log of a subscription, newest first",
    responses=problem_responses(*ADMIN_ERRORS),
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    principal: AdminPrincipal,
    session: ReadSession,
    cursor: Cursor,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[DeliveryRead]:
    items, next_cursor = await queries.list_deliveries(session, webhook_id, principal, status_, cursor.position, limit)
    return Page(items=[DeliveryRead.model_validate(d) for d in items], next_cursor=cursor.issue(next_cursor))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="One more attempt of a failed delivery, now",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, principal: AdminPrincipal, session: WriteSession
) -> Accepted:
    delivery = await service.retry_delivery(session, webhook_id, delivery_id, principal)
    return Accepted(delivery_id=delivery.id, status=delivery.status)
