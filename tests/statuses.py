"""Every status the suite sees is documented: the `client` fixture records (method, route, status) for every
answer of a matched route, and at the end of the run each one must be among that operation's documented
responses in the OpenAPI document (issue 12, item 8). An undocumented status fails the run and is listed.

A 405 (no operation for that method) is not an operation's answer and is not recorded; nor is a request that
matched no route (404 from the router).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Observed = tuple[str, str, int]
OBSERVED: set[Observed] = set()
DOCUMENTS: list[dict[str, Any]] = []


class StatusRecorder:
    """ASGI wrapper around the app under test that remembers what each operation answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        statuses: list[int] = []

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            methods = getattr(route, "methods", None) or set()
            if statuses and route is not None and scope["method"] in methods:
                OBSERVED.add((scope["method"], scope["path"], statuses[0]))


def undocumented() -> list[str]:
    """The observed (method, path, status) triples no operation documents, as readable lines."""
    if not DOCUMENTS:
        return []
    paths = DOCUMENTS[0]["paths"]
    # Literal paths first, so that /users/me is not read as /users/{user_id}.
    templates = sorted(paths, key=lambda template: ("{" in template, template))
    patterns: list[tuple[str, re.Pattern[str]]] = [(t, compile_path(t)[0]) for t in templates]
    missing = set()
    for method, path, status in OBSERVED:
        template = next((t for t, pattern in patterns if pattern.match(path)), None)
        operation = paths.get(template, {}).get(method.lower()) if template else None
        if operation is None:  # a route outside the document (pages, /docs): nothing is promised there
            continue
        documented = operation.get("responses", {})
        if str(status) not in documented and f"{str(status)[0]}XX" not in documented and "default" not in documented:
            missing.add(f"{method} {template} answered {status}, documented: {', '.join(sorted(documented))}")
    return sorted(missing)
