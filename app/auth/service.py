"""Use cases for logging in, users and API keys (the reads are in app.auth.queries). Each write use case
commits exactly once.

Rules:
- Only admins manage users and keys, and only inside their own region: a user or key is created with a
  region inside the admin's (a narrower scope is fine, a wider one is 403).
- A wrong username and a wrong password answer the same 401, after the same work.
- Logins are throttled per username and per client IP (`throttle.py`): an attempt is counted when it
  starts, a locked login is 429 with `Retry-After` before the password is looked at, and only a few
  passwords are verified at once. The user row is read and its connection handed back before argon2 runs.
- A password change, a disable and a revoke-sessions end every token of the user issued before them
  (`users.sessions_valid_after`); re-enabling a user does not revive them.
- Usernames follow `usernames.py` (NFKC, one script) and are unique regardless of case: `Admin` beside
  `admin` is 409.
- A linked officer (`officer_id`) exists inside the admin's region (422) and is linked to no other user
  (409). Officers sit above auth, so the officer is read through an `OfficerRegion` the caller hands in
  (app.officers.queries).
- An API key is returned in clear only by its creation; revoking is idempotent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import anyio
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.models import ApiKey, User
from app.auth.principals import Principal
from app.auth.queries import get_api_key, get_user
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, TokenRead, UserCreate, UserUpdate
from app.auth.throttle import Lock, LoginThrottle
from app.auth.usernames import username_key
from app.core import clock
from app.core.errors import Conflict, FieldError, TooManyRequests, Unauthorized, ValidationFailed
from app.core.security import (
    create_access_token,
    hash_api_key,
    hash_password,
    new_api_key,
    verify_password,
)

log = logging.getLogger("app.auth")

OfficerRegion = Callable[[AsyncSession, uuid.UUID], Awaitable[str | None]]
"""Reads an officer's region code (None if there is no such officer); app.officers.queries.officer_region."""


async def login(
    session: AsyncSession,
    username: str,
    password: str,
    secret: str,
    ttl: timedelta,
    throttle: LoginThrottle | None = None,
    client_ip: str = "unknown",
) -> TokenRead:
    attempt = await throttle.begin(username, client_ip) if throttle is not None else None
    if isinstance(attempt, Lock):
        # Before any database or argon2 work: a locked login costs nothing and the right password does not help.
        raise TooManyRequests(
            f"too many failed logins for this {attempt.scope}; try again in {attempt.retry_after} s",
            headers={"Retry-After": str(attempt.retry_after)},
        )
    # The token counts as issued when the user row is read: a password change or "sign out everywhere"
    # that commits while argon2 runs still ends it.
    issued = clock.now()
    user = (
        await session.execute(select(User.id, User.password_hash, User.is_active).where(User.username == username))
    ).one_or_none()
    await session.rollback()  # hand the connection back: no pooled connection waits on argon2
    # argon2 is deliberately slow and takes 64 MiB: off the event loop, a few at a time.
    ok = await anyio.to_thread.run_sync(
        verify_password,
        password,
        user.password_hash if user else None,
        limiter=throttle.verification_limiter if throttle is not None else None,
    )
    if user is None or not ok or not user.is_active:
        if throttle is not None and await throttle.check(username, client_ip) is not None:
            log.warning("login locked after repeated failures (client %s)", client_ip)  # no username
        raise Unauthorized("Incorrect username or password")
    if throttle is not None and attempt is not None:
        await throttle.succeeded(attempt)
    token = create_access_token(user.id, secret, ttl, issued=issued)
    return TokenRead(access_token=token, expires_in=int(ttl.total_seconds()))


async def create_user(
    session: AsyncSession, data: UserCreate, actor: Principal | None, officers: OfficerRegion
) -> User:
    """Create a user; `actor` None is the command line (bootstrap), which may create any."""
    if actor is not None:
        scoping.ensure_writable(actor, data.region_code)
    taken = await session.scalar(select(User.username).where(func.lower(User.username) == username_key(data.username)))
    if taken is not None:
        raise _username_taken(data.username, taken)
    await _ensure_officer_linkable(session, officers, data.officer_id, None, actor)
    password_hash = await anyio.to_thread.run_sync(hash_password, data.password)
    user = User(
        username=data.username,
        password_hash=password_hash,
        role=data.role,
        region_code=data.region_code,
        is_active=True,
        officer_id=data.officer_id,
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        if "username" not in str(exc.orig):
            raise  # the officer link (handled as a 409 naming its field)
        raise _username_taken(data.username, None) from exc  # a concurrent create took the name
    return user


def _username_taken(username: str, holder: str | None) -> Conflict:
    alike = f" (as '{holder}': usernames must differ by more than case)" if holder not in (None, username) else ""
    return Conflict(
        f"username '{username}' is already taken{alike}",
        errors=[FieldError(loc=["body", "username"], msg="already taken")],
    )


async def _ensure_officer_linkable(
    session: AsyncSession,
    officers: OfficerRegion,
    officer_id: uuid.UUID | None,
    own_id: uuid.UUID | None,
    actor: Principal | None,
) -> None:
    """The officer must exist (inside the admin's region) and not be linked to another user."""
    if officer_id is None:
        return
    region = await officers(session, officer_id)
    if region is None or (actor is not None and not scoping.can_see(actor, region)):
        raise ValidationFailed.field(["body", "officer_id"], f"no officer {officer_id} in your region")
    holder = await session.scalar(select(User.id).where(User.officer_id == officer_id))
    if holder is not None and holder != own_id:
        raise Conflict(
            f"officer_id {officer_id} is already linked to another user",
            errors=[FieldError(loc=["body", "officer_id"], msg="already linked")],
        )


async def update_user(
    session: AsyncSession, user_id: uuid.UUID, data: UserUpdate, actor: Principal, officers: OfficerRegion
) -> User:
    user = await get_user(session, user_id, actor)
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes:
        scoping.ensure_writable(actor, changes["region_code"])
    if changes.get("officer_id") is not None:
        await _ensure_officer_linkable(session, officers, changes["officer_id"], user.id, actor)
    if "password" in changes:
        user.password_hash = await anyio.to_thread.run_sync(hash_password, changes.pop("password"))
        user.sessions_valid_after = clock.now()
    if changes.get("is_active") is False:
        user.sessions_valid_after = clock.now()
    for name, value in changes.items():
        setattr(user, name, value)
    await session.commit()
    return user


async def revoke_sessions(session: AsyncSession, user_id: uuid.UUID, actor: Principal) -> None:
    """End every token of the user issued before now (the caller's own too, when it is the user)."""
    user = await get_user(session, user_id, actor)
    user.sessions_valid_after = clock.now()
    await session.commit()


async def create_api_key(session: AsyncSession, data: ApiKeyCreate, actor: Principal) -> ApiKeyCreated:
    scoping.ensure_writable(actor, data.region_code)
    key_id = uuid.uuid4()
    key = new_api_key(key_id)
    row = ApiKey(
        id=key_id,
        name=data.name,
        role=data.role,
        region_code=data.region_code,
        key_hash=hash_api_key(key),
        created_at=clock.now(),
        created_by_id=actor.id if actor.kind == "user" else None,
    )
    session.add(row)
    await session.commit()
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=key)


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID, actor: Principal) -> None:
    row = await get_api_key(session, key_id, actor)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        await session.commit()
