"""Mount the console: its routes and its stylesheet under /console/static (served without a session)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web.console import annual, hazards, imports, inspection_pages, plans, registers
from app.web.console.pages import STATIC_DIR, STATIC_URL
from app.web.console.router import router


def install_console(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)
    app.include_router(hazards.router)
    app.include_router(inspection_pages.router)
    app.include_router(registers.router)
    app.include_router(plans.router)
    app.include_router(annual.router)
    app.include_router(imports.router)
