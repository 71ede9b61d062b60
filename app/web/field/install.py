"""Mount the field app: its routes, its static files under /field/static, and its shell version."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web.field.router import router
from app.web.field.shell import STATIC_DIR, STATIC_URL, build_shell


def install_field(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.field_shell = build_shell(settings.EVIDENCE_MAX_BYTES, settings.FIELD_RELEASE)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="field-static")
    app.include_router(router)
