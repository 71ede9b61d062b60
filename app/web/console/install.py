"""Mount the console: its routes and its stylesheet under /console/static (served without a session)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web.console import (
    admin,
    annual,
    hazard_page,
    hazards,
    imports,
    inspection_form,
    inspection_pages,
    officer_records,
    plan_forms,
    plans,
    register_edits,
    registers,
)
from app.web.console.pages import STATIC_DIR, STATIC_URL
from app.web.console.router import router


def install_console(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)
    app.include_router(hazards.router)
    app.include_router(hazard_page.router)
    app.include_router(inspection_form.router)  # before inspection_pages: /new is not an inspection id
    app.include_router(inspection_pages.router)
    app.include_router(register_edits.router)  # before the registers: `new` is not an id
    app.include_router(registers.router)
    app.include_router(officer_records.router)
    app.include_router(plan_forms.router)  # before plans: /new is not a plan id
    app.include_router(plans.router)
    app.include_router(annual.router)
    app.include_router(admin.router)
    app.include_router(imports.router)
