"""Signing in to the console and posting its forms, for the administration tests."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from tests.web.console.test_sessions import ORIGIN, TOKEN, sign_in

__all__ = ["ORIGIN", "form_token", "post", "signed_in"]


async def signed_in(client: httpx.AsyncClient, username: str) -> httpx.AsyncClient:
    r = await sign_in(client, username)
    assert r.status_code == 303, r.text
    return client


async def form_token(client: httpx.AsyncClient, path: str = "/console/") -> str:
    r = await client.get(path)
    match = TOKEN.search(r.text)
    assert match is not None, r.text
    return match.group(1)


async def post(
    client: httpx.AsyncClient, path: str, data: Mapping[str, str | list[str]], token: str | None = None
) -> httpx.Response:
    """POST a console form from the console's own origin with the page's CSRF token."""
    token = token if token is not None else await form_token(client)
    return await client.post(path, data={**data, "csrf_token": token}, headers={"Origin": ORIGIN})


def beside(html: str, field: str) -> str:
    """The message shown beside `field` (its p.field-error), '' when there is none."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>', html)
    return match.group(1) if match else ""
