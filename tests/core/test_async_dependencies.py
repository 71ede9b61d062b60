"""No API route runs a plain `def` per request: FastAPI runs a sync endpoint or dependency in its thread pool,
a hop that cost the hazard list about as much CPU as its own SQL statement (bench/README.md, "What it took",
points 5, 9 and 11). Every endpoint and every dependency of an API route is a coroutine function.

`SYNC_ALLOWED` lists the exceptions; each entry says why it is one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import OAuth2PasswordRequestForm

SYNC_ALLOWED: dict[Any, str] = {
    OAuth2PasswordRequestForm: "FastAPI's own form class of POST /auth/token, which hashes a password anyway",
}


def _is_async(call: Any) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or (not inspect.isfunction(call) and not inspect.isclass(call) and inspect.iscoroutinefunction(call.__call__))
    )


def _sync_calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None and not _is_async(dependency.call):
            yield dependency.call
        yield from _sync_calls(dependency)


def test_every_endpoint_and_dependency_is_async(app: FastAPI) -> None:
    found: dict[str, set[str]] = {}
    routes = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        routes += 1
        calls: list[Any] = [route.dependant.call] if not _is_async(route.dependant.call) else []
        calls += list(_sync_calls(route.dependant))
        for call in calls:
            if call not in SYNC_ALLOWED:
                found.setdefault(f"{call.__module__}.{call.__qualname__}", set()).add(context.path or "")
    assert routes > 100, routes  # the walk saw the app's routes (included routers are lazy in FastAPI >= 0.16x)
    assert not found, "plain `def` run in the thread pool per request:\n" + "\n".join(
        f"  {name}: {', '.join(sorted(paths))}" for name, paths in sorted(found.items())
    )


def test_the_check_sees_a_sync_dependency() -> None:
    from fastapi import APIRouter, Depends

    def sync_dependency() -> int:
        return 1

    router = APIRouter()

    @router.get("/x")
    async def endpoint(value: int = Depends(sync_dependency)) -> int:
        return value

    route = next(r for r in router.routes if isinstance(r, APIRoute))
    assert list(_sync_calls(route.dependant)) == [sync_dependency]
