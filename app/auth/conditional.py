"""Conditional reads of reports and lists: `ETag` on every answer, `304 Not Modified` for `If-None-Match`.

A route takes `Conditional` and calls its `check()` once its own request checks are done and before it reads
anything: the tag is computed before the route's own reads, in
the route's own session (FastAPI hands both the same `ReplicaSession`), for one indexed lookup; `check()` answers
304 from the route's body, so only a request that passed validation can get one (a malformed one stays 422).

Rules:
- The tag is the hash (app.core.conditional.make_tag) of everything the body depends on: `FORMAT` (raise it
  when a body's format changes), the route's path, the query string (parameters sorted, values as sent), the
  `Accept` header, the caller (kind, id, role, region scope, linked officer: two callers never share a tag),
  the settings in force (fixed for an app's life), today's date (Asia/Shanghai: overdue counters and statuses
  are computed as of today), and the data version of the region read (app.db.versions): the caller's scope,
  narrowed by `region_code`. Any committed change inside that region changes its version, hence the tag.
- The version is read before the route reads its data: a change committing in between gives a body newer than
  its tag, never an old body under a new tag (the next poll then answers 200 once more).
- `If-None-Match` naming the tag (or `*`) → 304 with `ETag` and `Cache-Control`, no body; the route reads
  nothing. A malformed value is ignored (200).
- A `region_code` that is not a digit prefix inside the caller's scope gets no tag and no 304: the route
  answers it (403 / 422) exactly as without this dependency.
- A 200 carries `ETag` and `Cache-Control: private, no-cache` (set on the response FastAPI sends; a route
  that returns a `Response` of its own adds `Conditional.headers` itself).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from app.auth import scoping
from app.auth.deps import CurrentPrincipal
from app.core import clock
from app.core.conditional import CACHE_CONTROL, NotModified, make_tag, none_match_hits
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.db.deps import ReplicaSession
from app.db.versions import version_of

FORMAT = 1
"""The response format version of the conditional routes' bodies."""

_settings_digests: dict[int, tuple[Settings, str]] = {}


def _settings_digest(settings: Settings) -> str:
    """A digest of the settings (the unit names, deadlines and other figures a body may show), once per object."""
    cached = _settings_digests.get(id(settings))
    if cached is None or cached[0] is not settings:
        cached = (settings, hashlib.sha256(settings.model_dump_json().encode()).hexdigest())
        _settings_digests[id(settings)] = cached
    return cached[1]


def _region_read(scope: str, requested: str | None) -> str | None:
    """The region prefix the route will read, or None when the route will refuse the request."""
    if requested is None or requested == "":
        return scope
    if requested.isdigit() and len(requested) <= 12 and scoping.within(scope, requested):
        return requested
    return None


@dataclass(frozen=True, slots=True)
class ConditionalRead:
    """The tag of this answer (None: not conditional), the headers that go with it, and whether the client
    already holds it."""

    tag: str | None
    headers: dict[str, str] = field(default_factory=dict)
    unchanged: bool = False

    def check(self) -> None:
        """Answer 304 now (raises NotModified) when the client's `If-None-Match` names the current tag."""
        if self.unchanged:
            raise NotModified(self.headers)


async def conditional(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    settings: SettingsDep,
    if_none_match: Annotated[
        str | None,
        Header(description="ETags of answers you hold (or `*`): 304 without a body when one is still current"),
    ] = None,
) -> ConditionalRead:
    region = _region_read(principal.region_code, request.query_params.get("region_code"))
    if region is None:
        return ConditionalRead(None)
    version = await version_of(session, region)
    tag = make_tag(
        [
            FORMAT,
            request.url.path,
            sorted(request.query_params.multi_items()),
            request.headers.get("accept", ""),
            [principal.kind, str(principal.id), principal.role, principal.region_code, str(principal.officer_id)],
            _settings_digest(settings),
            clock.today().isoformat(),
            region,
            version,
        ]
    )
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    response.headers.update(headers)
    return ConditionalRead(tag, headers, none_match_hits(if_none_match, tag))


Conditional = Annotated[ConditionalRead, Depends(conditional)]
