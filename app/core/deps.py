"""Request-level dependencies of the core: the settings the app was created with reach a route through
`SettingsDep`, never through `db.settings` or a module-level `get_settings()` (tests and a second app in the
same process have settings of their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings


async def get_app_settings(request: Request) -> Settings:
    """Async on purpose: a plain `def` dependency costs a thread-pool hop on every request."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
