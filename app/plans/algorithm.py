"""The random draw (双随机): a pure, deterministic, version-stable function of its inputs.

Algorithm `sha256-rank-v1`:
1. Every candidate institution gets the rank SHA-256("{seed}|institution|{id}"); the `count` lowest are drawn.
2. Teams are formed for the drawn institutions from the most constrained (fewest officers free of
   conflict) to the least, ties in rank order. For each, officers are ranked by (teams already assigned,
   SHA-256("{seed}|officer|{institution id}|{officer id}")); officers declared in conflict with the
   institution (回避) or already holding `max_teams_per_officer` teams are skipped; the first `team_size` form
   its team. If fewer remain, the draw is impossible (NotEnoughOfficers). The result lists the institutions in
   rank order.
Ranking by hashes instead of a library RNG keeps the result identical across Python versions, so a draw can
be recomputed years later from what was stored. The seed is 256 random bits, chosen by the server unless the
caller gives one (e.g. drawn in public).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from typing import Any, TypedDict

ALGORITHM = "sha256-rank-v1"


class InstitutionCandidate(TypedDict):
    id: str
    name: str
    township: str | None
    region_code: str


class OfficerCandidate(TypedDict):
    id: str
    name: str
    unit: str
    certificate_no: str | None


class Candidates(TypedDict):
    institutions: list[InstitutionCandidate]
    officers: list[OfficerCandidate]
    conflicts: list[list[str]]  # [officer id, institution id]


class Parameters(TypedDict):
    count: int
    team_size: int
    max_teams_per_officer: int


class Assignment(TypedDict):
    institution_id: str
    officer_ids: list[str]


class NotEnoughOfficers(Exception):
    def __init__(self, institution: InstitutionCandidate, eligible: int, needed: int) -> None:
        super().__init__(f"only {eligible} eligible officers remain for {institution['name']}, {needed} needed")
        self.institution = institution


def _rank(seed: str, *parts: str) -> str:
    return hashlib.sha256("|".join((seed, *parts)).encode()).hexdigest()


def draw(seed: str, candidates: Candidates, params: Parameters) -> list[Assignment]:
    ranked = sorted(candidates["institutions"], key=lambda i: _rank(seed, "institution", i["id"]))
    drawn = ranked[: params["count"]]
    conflicts = {(o, i) for o, i in candidates["conflicts"]}
    officers = candidates["officers"]
    # Teams are formed for the most constrained institutions first (fewest officers free of conflict), so a
    # recusal list does not leave an institution without a team that another order would have given it.
    order = sorted(
        range(len(drawn)), key=lambda k: (sum((o["id"], drawn[k]["id"]) not in conflicts for o in officers), k)
    )
    load: Counter[str] = Counter()
    limit = params["max_teams_per_officer"]
    teams: dict[int, list[str]] = {}
    for k in order:
        institution = drawn[k]
        eligible = [o for o in officers if (o["id"], institution["id"]) not in conflicts and load[o["id"]] < limit]
        if len(eligible) < params["team_size"]:
            raise NotEnoughOfficers(institution, len(eligible), params["team_size"])
        eligible.sort(key=lambda o: (load[o["id"]], _rank(seed, "officer", institution["id"], o["id"])))
        teams[k] = [o["id"] for o in eligible[: params["team_size"]]]
        load.update(teams[k])
    return [{"institution_id": drawn[k]["id"], "officer_ids": teams[k]} for k in range(len(drawn))]


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, payload: dict[str, Any]) -> str:
    """HMAC-SHA256 over the canonical JSON of everything a draw stores."""
    return hmac.new(secret.encode(), canonical(payload), hashlib.sha256).hexdigest()
