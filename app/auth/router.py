"""Routes: /auth/token, /users (and revoke-sessions), /api-keys. Thin: parse, call one service function, return."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import queries, service
from app.auth.deps import AdminPrincipal, CurrentPrincipal, Officers
from app.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.core.deps import SettingsDep
from app.core.errors import NotFound, problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import DatabaseDep, ReadSession, WriteSession

router = APIRouter()
AUTHED = problem_responses(401, 403, 422)


@router.post(
    "/auth/token",
    response_model=TokenRead,
    tags=["auth"],
    summary="Log in (OAuth2 password form)",
    responses=problem_responses(401, 422, 429),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DatabaseDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> TokenRead:
    """Exchange username and password for a bearer access token (JWT).

    Failed logins are limited per username and per client IP (`LOGIN_MAX_FAILURES_PER_USER`,
    `LOGIN_MAX_FAILURES_PER_IP` in `LOGIN_WINDOW_SECONDS`); past a limit the answer is 429 with `Retry-After`,
    even for the right password.
    """
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    ttl = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    client_ip = request.client.host if request.client else "unknown"
    async with db.read_session() as session:
        return await service.login(
            session,
            form.username,
            form.password,
            settings.secret_key,
            ttl,
            throttle=request.app.state.login_throttle,
            client_ip=client_ip,
        )


@router.get(
    "/users/me",
    response_model=UserRead,
    tags=["users"],
    summary="The calling user",
    responses=problem_responses(401, 404),
)
async def me(principal: CurrentPrincipal, session: ReadSession) -> UserRead:
    if principal.kind != "user":
        raise NotFound("an API key is not a user; /users/me is for user tokens")
    return UserRead.model_validate(await queries.get_user(session, principal.id, principal))


@router.post(
    "/users/me/revoke-sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    summary="Sign out everywhere: end every token of the calling user",
    responses=problem_responses(401, 404),
)
async def revoke_own_sessions(principal: CurrentPrincipal, session: WriteSession) -> Response:
    """Every access token of the calling user issued before now stops working (this one included); log in
    again for a new one. API keys are not users (404); revoke a key with `DELETE /api-keys/{key_id}`."""
    if principal.kind != "user":
        raise NotFound("an API key is not a user; /users/me is for user tokens")
    await service.revoke_sessions(session, principal.id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    summary="Create a user (admin)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_user(
    data: UserCreate, principal: AdminPrincipal, session: WriteSession, officers: Officers, response: Response
) -> UserRead:
    user = await service.create_user(session, data, principal, officers)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return UserRead.model_validate(user)


@router.get("/users", response_model=Page[UserRead], tags=["users"], summary="List users (admin)", responses=AUTHED)
async def list_users(
    principal: AdminPrincipal, session: ReadSession, cursor: Cursor, limit: Annotated[Limit, Query()] = 50
) -> Page[UserRead]:
    items, next_cursor = await queries.list_users(session, principal, cursor.position, limit)
    return Page(items=[UserRead.model_validate(u) for u in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    tags=["users"],
    summary="One user (admin)",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_user(user_id: uuid.UUID, principal: AdminPrincipal, session: ReadSession) -> UserRead:
    return UserRead.model_validate(await queries.get_user(session, user_id, principal))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    tags=["users"],
    summary="Change a user's role, region, password or disable it (admin)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_user(
    user_id: uuid.UUID, data: UserUpdate, principal: AdminPrincipal, session: WriteSession, officers: Officers
) -> UserRead:
    return UserRead.model_validate(await service.update_user(session, user_id, data, principal, officers))


@router.post(
    "/users/{user_id}/revoke-sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    summary="End every token of a user (admin)",
    responses=problem_responses(401, 403, 404, 422),
)
async def revoke_sessions(user_id: uuid.UUID, principal: AdminPrincipal, session: WriteSession) -> Response:
    """Every access token of the user issued before now stops working; the user can log in again. A
    password change and a disable (`PATCH /users/{user_id}`) do the same."""
    await service.revoke_sessions(session, user_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
    summary="Create an API key (admin); the key is shown once",
    responses=problem_responses(401, 403, 422),
)
async def create_api_key(
    data: ApiKeyCreate, principal: AdminPrincipal, session: WriteSession, response: Response
) -> ApiKeyCreated:
    created = await service.create_api_key(session, data, principal)
    response.headers["Location"] = f"/api/v1/api-keys/{created.id}"
    return created


@router.get(
    "/api-keys", response_model=Page[ApiKeyRead], tags=["api-keys"], summary="List API keys (admin)", responses=AUTHED
)
async def list_api_keys(
    principal: AdminPrincipal, session: ReadSession, cursor: Cursor, limit: Annotated[Limit, Query()] = 50
) -> Page[ApiKeyRead]:
    items, next_cursor = await queries.list_api_keys(session, principal, cursor.position, limit)
    return Page(items=[ApiKeyRead.model_validate(k) for k in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/api-keys/{key_id}",
    response_model=ApiKeyRead,
    tags=["api-keys"],
    summary="One API key (admin), without the key itself",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_api_key(key_id: uuid.UUID, principal: AdminPrincipal, session: ReadSession) -> ApiKeyRead:
    """The target of the `Location` a create answers."""
    return ApiKeyRead.model_validate(await queries.get_api_key(session, key_id, principal))


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["api-keys"],
    summary="Revoke an API key (admin)",
    responses=problem_responses(401, 403, 404, 422),
)
async def revoke_api_key(key_id: uuid.UUID, principal: AdminPrincipal, session: WriteSession) -> Response:
    await service.revoke_api_key(session, key_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
