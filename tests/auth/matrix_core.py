"""The authorization matrix's building blocks: a row per (method, route, case), the expected status per actor
and side, and the request builder that makes each cell's request.

Columns, in `ACTORS` order: anonymous, viewer, inspector, supervisor, admin, api_key (a supervisor key).
Every actor is scoped to 500240. `own` sends targets of 500240; `other` sends the same request with the
targets (path ids, body references or query values, as the row's case says) of 500101. `-` marks a cell
that does not apply; a row without an `other` column has nothing region-bound to vary.

What the code answers for the other region (app/auth/scoping.py and the services):
- a path id of another region's record: 404 (existence is not revealed) — after the role check, so a role
  that may never call the route gets 403 first;
- a `region_code` filter outside the caller's: 403; a `region_code` in a body (creating or moving a record,
  user or key there): 403;
- a body reference to another region's record (`institution_id`, `officer_ids`, `officer_id` of a user,
  `evidence_ids` of a transition): 422 naming the field, like any unknown id;
- an `institution_id` / `officer_id` list filter of another region: 200 with nothing of that region.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.auth.matrix_world import ACTORS, Side, World

Status = int | None
Expect = tuple[Status, ...]
V1 = "/api/v1"

# Common columns:                                                      anon view insp sup  adm  key
READ, HIDDEN = "401 200 200 200 200 200", "401 404 404 404 404 404"  # any role reads; another region's id
OUTSIDE = "401 403 403 403 403 403"  # a region_code outside the caller's
ADMIN = "401 403 403 403 {} 403"  # users and keys: admins only
MANAGE = "401 403 403 {0} {0} {0}"  # supervisors and admins (and the supervisor key)
FIELD = "401 403 {0} {0} {0} {0}"  # everyone but viewers
PUBLIC = "200 200 200 200 200 200"


@dataclass(frozen=True)
class Req:
    """What one cell sends; `ids` fill the row's path template."""

    ids: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    shows: str | None = None  # an own-region value a 2xx answer must contain (the scope is not just empty)


Build = Callable[[World, Side], Awaitable[Req]]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route's path template, as the app declares it
    case: str  # what is varied between own and other
    build: Build
    own: Expect
    other: Expect | None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} [{self.case}]"

    def expected(self, side: Side) -> Expect | None:
        return self.own if side == "own" else self.other


def _expect(spec: str | None) -> Expect | None:
    if spec is None:
        return None
    cells = tuple(None if c == "-" else int(c) for c in spec.split())
    assert len(cells) == len(ACTORS), spec
    return cells


class Table(list[Row]):
    """Rows registered by decorating their request builders."""

    def row(self, method: str, path: str, case: str, own: str, other: str | None) -> Callable[[Build], Build]:
        def register(build: Build) -> Build:
            own_cells = _expect(own)
            assert own_cells is not None
            self.append(Row(method, path, case, build, own_cells, _expect(other)))
            return build

        return register


def count_cells(rows: list[Row]) -> int:
    return sum(c is not None for r in rows for cells in (r.own, r.other) if cells is not None for c in cells)


def hex8() -> str:
    return uuid.uuid4().hex[:8]


def in_region(w: World, side: Side, shows: str | None = None, **extra: str) -> Req:
    """A query filtered by the side's region_code; `shows` checked on the own side only."""
    return Req(params={"region_code": w.region(side).code, **extra}, shows=shows if side == "own" else None)
