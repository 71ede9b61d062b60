"""Authentication and role dependencies. Every route uses one of these unless it is declared public.

`CurrentPrincipal` = any authenticated caller; `require_roles(...)` narrows to roles (403 otherwise).
Both Swagger's OAuth2 password flow and a pasted API key (HTTP Bearer) are offered in the docs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from app.auth.models import Role
from app.auth.principals import Principal, principal_from_token
from app.auth.service import OfficerRegion
from app.core.deps import SettingsDep
from app.core.errors import Forbidden, Unauthorized
from app.db.deps import DatabaseDep

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, description="Log in with username and password"
)
bearer_scheme = HTTPBearer(auto_error=False, description="An API key (itk_…) or an access token")


async def current_principal(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    _oauth: Annotated[str | None, Depends(oauth2_scheme)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("Missing bearer credentials (Authorization: Bearer <token or API key>)")
    async with db.query_session() as session:
        principal = await principal_from_token(session, credentials.credentials, settings.secret_key)
    if principal is None:
        raise Unauthorized("Invalid, expired or revoked credentials")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    allowed = ", ".join(r.value for r in roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role '{principal.role}' may not do this (needs one of: {allowed})")
        return principal

    return dependency


MANAGER_ROLES = (Role.admin, Role.supervisor)
"""Who makes and changes plans, draws, registers (the API's `ManagerPrincipal`; the console asks the same)."""
FIELD_ROLES = (Role.admin, Role.supervisor, Role.inspector)
"""Who records inspections and moves hazards (the API's `FieldPrincipal`; the console asks the same)."""

AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
ManagerPrincipal = Annotated[Principal, Depends(require_roles(*MANAGER_ROLES))]
FieldPrincipal = Annotated[Principal, Depends(require_roles(*FIELD_ROLES))]


async def _officer_region(request: Request) -> OfficerRegion:
    """Async on purpose (a plain `def` costs a thread-pool hop per request).

    The officer reader wired by the composition root (`app.main.create_app`): officers sit above auth, so
    the user routes that link an officer are handed the reader instead of importing it."""
    return cast("OfficerRegion", request.app.state.officer_region)


Officers = Annotated[OfficerRegion, Depends(_officer_region)]
