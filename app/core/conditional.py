"""Entity tags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2) for conditional reads, without knowing what is read.

Rules:
- A tag is strong and opaque: `"` + 32 hex digits of the SHA-256 of its parts + `"`. Callers hand in every part
  the body depends on (app.auth.conditional lists them).
- `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`. `*` matches whenever the
  resource has a current representation (every read that reaches the comparison has one). A value that is not a
  list of entity tags never matches: the request is answered as if it had no condition (never a 4xx).
- A 304 carries the same `ETag` and `Cache-Control` a 200 would and no body; raising `NotModified` from a
  dependency answers it before the route's own work runs (the handler is installed by app.core.handlers).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from starlette.responses import Response

CACHE_CONTROL = "private, no-cache"
"""Cacheable only by the caller's own client, and only after asking again (the tag makes asking cheap)."""

_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')

ETAG_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": "strong tag of this answer: send it back in `If-None-Match`", "schema": {"type": "string"}},
    "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
}
"""OpenAPI `headers` of a conditional operation's 200 and 304."""

NOT_MODIFIED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADERS},
    304: {
        "description": "Not Modified: `If-None-Match` names the current `ETag`; no body",
        "headers": ETAG_HEADERS,
    },
}
"""OpenAPI `responses=` entries for the operations that answer conditionally (merged into the route's 200)."""


class NotModified(Exception):
    """Answer 304 with these headers (raised before the route's work)."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


def make_tag(parts: list[Any]) -> str:
    """The strong ETag of `parts` (JSON-encodable; order matters)."""
    digest = hashlib.sha256(json.dumps(parts, separators=(",", ":"), default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def parse_if_none_match(value: str) -> list[str] | None:
    """The opaque tags listed (without `W/` and quotes), or None when `value` is not a list of entity tags."""
    tags: list[str] = []
    for member in value.split(","):
        if not member.strip():
            continue  # RFC 9110 §5.6.1: empty list elements are ignored
        matched = _TAG.fullmatch(member)
        if matched is None:
            return None
        tags.append(matched.group(1))
    return tags or None


def none_match_hits(if_none_match: str | None, tag: str) -> bool:
    """True when `If-None-Match` names `tag` (or is `*`): the answer is 304."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = parse_if_none_match(if_none_match)
    return tags is not None and tag.strip('"') in tags


def not_modified_response(exc: NotModified) -> Response:
    return Response(status_code=304, headers=exc.headers)
