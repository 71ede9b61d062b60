"""Pure unit tests of `app.hazards.workflow.apply`.

The expected outcome of every (state × action × role) combination comes from the hand-written tables
below — written from API.md's transition table, deliberately not derived from `workflow.TRANSITIONS` —
so a wrong entry in the module's table, or a wrong order of checks in `apply`, makes a test fail.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.models import Role
from app.hazards.models import HazardStatus
from app.hazards.workflow import Action, HazardState, TransitionError, apply

FOUND = date(2023, 5, 4)
RECTIFIED = date(2023, 5, 10)
VERIFIED = date(2023, 5, 12)
ON = date(2023, 5, 20)
TODAY = date(2023, 6, 1)

# (from, action) -> to: every legal move, spelled out one by one (API.md, "Hazards").
LEGAL_MOVES: dict[tuple[str, str], str] = {
    ("open", "start"): "rectifying",
    ("open", "rectify"): "rectified",
    ("rectifying", "rectify"): "rectified",
    ("rectified", "verify"): "verified",
    ("rectified", "reject"): "rectifying",
    ("open", "void"): "voided",
    ("rectifying", "void"): "voided",
    ("rectified", "void"): "voided",
    ("open", "plan"): "open",  # 整改方案: recorded, the status kept
    ("rectifying", "plan"): "rectifying",
}

# role -> the actions it may take at all.
ROLE_ACTIONS: dict[str, set[str]] = {
    "admin": {"start", "rectify", "verify", "reject", "void", "plan"},
    "supervisor": {"start", "rectify", "verify", "reject", "void", "plan"},
    "inspector": {"start", "rectify", "plan"},
    "viewer": set(),
}

STATUSES = ["open", "rectifying", "rectified", "verified", "voided"]
ACTIONS = ["start", "rectify", "verify", "reject", "void", "plan"]
ROLES = ["admin", "supervisor", "inspector", "viewer"]
ALL_COMBINATIONS = list(itertools.product(STATUSES, ACTIONS, ROLES))


def state_in(status: str) -> HazardState:
    """A consistent hazard in `status`: rectified_on / verified_on set as the workflow would have left them."""
    rectified_on = RECTIFIED if status in ("rectified", "verified") else None
    verified_on = VERIFIED if status == "verified" else None
    return HazardState(HazardStatus(status), FOUND, rectified_on, verified_on)


@dataclass(frozen=True)
class Expected:
    error: str | None  # "forbidden" | "illegal" | None
    status: str | None = None
    rectified_on: date | None = None
    verified_on: date | None = None

    def as_state(self) -> HazardState:
        assert self.error is None and self.status is not None
        return HazardState(HazardStatus(self.status), FOUND, self.rectified_on, self.verified_on)


def expected(status: str, action: str, role: str, on: date) -> Expected:
    if action not in ROLE_ACTIONS[role]:
        return Expected("forbidden")
    if (status, action) not in LEGAL_MOVES:
        return Expected("illegal")
    before = state_in(status)
    rectified_on, verified_on = before.rectified_on, before.verified_on
    if action == "rectify":
        rectified_on = on
    elif action == "verify":
        verified_on = on
    elif action == "reject":
        rectified_on = None
    return Expected(None, LEGAL_MOVES[(status, action)], rectified_on, verified_on)


def test_hand_table_covers_120_combinations() -> None:
    assert len(ALL_COMBINATIONS) == 120
    assert {s.value for s in HazardStatus} == set(STATUSES)
    assert {a.value for a in Action} == set(ACTIONS)
    assert {r.value for r in Role} == set(ROLES)
    outcomes = [expected(s, a, r, ON).error for s, a, r in ALL_COMBINATIONS]
    # 10 legal moves: admin and supervisor may make all 10, an inspector the 3 start/rectify and 2 plan ones.
    assert outcomes.count(None) == 10 + 10 + 5


@pytest.mark.parametrize(("status", "action", "role"), ALL_COMBINATIONS)
def test_apply_every_combination(status: str, action: str, role: str) -> None:
    before = state_in(status)
    want = expected(status, action, role, ON)
    if want.error is not None:
        with pytest.raises(TransitionError) as info:
            apply(before, Action(action), ON, "现场复查", Role(role), TODAY)
        assert info.value.kind == want.error
        assert info.value.field is None
        assert action in info.value.message
        if want.error == "forbidden":
            assert role in info.value.message
        else:
            assert status in info.value.message
        return
    after = apply(before, Action(action), ON, "现场复查", Role(role), TODAY)
    assert after == want.as_state()
    assert before == state_in(status)  # the input is not modified


@pytest.mark.parametrize("role", ROLES)
def test_role_is_checked_before_the_state(role: str) -> None:
    """A verified hazard accepts nothing: a role without the right hears 403, not 409."""
    for action in ACTIONS:
        with pytest.raises(TransitionError) as info:
            apply(state_in("verified"), Action(action), ON, None, Role(role), TODAY)
        assert info.value.kind == ("forbidden" if action not in ROLE_ACTIONS[role] else "illegal")


def test_state_is_checked_before_dates_and_note() -> None:
    future = TODAY + timedelta(days=1)
    with pytest.raises(TransitionError) as info:
        apply(state_in("voided"), Action.void, future, "  ", Role.admin, TODAY)
    assert info.value.kind == "illegal"
    with pytest.raises(TransitionError) as info:
        apply(state_in("open"), Action.void, future, "  ", Role.inspector, TODAY)
    assert info.value.kind == "forbidden"


# --- date rules -------------------------------------------------------------------------------------------

LEGAL = sorted(LEGAL_MOVES)


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_on_in_the_future_is_invalid(status: str, action: str) -> None:
    with pytest.raises(TransitionError) as info:
        apply(state_in(status), Action(action), TODAY + timedelta(days=1), "误登记", Role.admin, TODAY)
    assert (info.value.kind, info.value.field) == ("invalid", "on")
    assert "future" in info.value.message


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_on_today_is_allowed(status: str, action: str) -> None:
    after = apply(state_in(status), Action(action), TODAY, "误登记", Role.admin, TODAY)
    assert after.status == HazardStatus(LEGAL_MOVES[(status, action)])


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_on_before_found_on_is_invalid(status: str, action: str) -> None:
    with pytest.raises(TransitionError) as info:
        apply(state_in(status), Action(action), FOUND - timedelta(days=1), "误登记", Role.admin, TODAY)
    assert (info.value.kind, info.value.field) == ("invalid", "on")
    assert FOUND.isoformat() in info.value.message


@pytest.mark.parametrize("action", ["start", "rectify", "void"])
def test_on_equal_to_found_on_is_allowed(action: str) -> None:
    """即查即改: fixed on the spot, the day it was found."""
    after = apply(state_in("open"), Action(action), FOUND, "误登记", Role.supervisor, TODAY)
    assert after.status == HazardStatus(LEGAL_MOVES[("open", action)])
    if action == "rectify":
        assert after.rectified_on == FOUND


def test_found_rectified_and_verified_the_same_day() -> None:
    state = HazardState(HazardStatus.open, FOUND)
    state = apply(state, Action.rectify, FOUND, None, Role.inspector, FOUND)
    state = apply(state, Action.verify, FOUND, None, Role.supervisor, FOUND)
    assert state == HazardState(HazardStatus.verified, FOUND, FOUND, FOUND)


def test_verify_before_rectified_on_is_invalid() -> None:
    state = state_in("rectified")
    with pytest.raises(TransitionError) as info:
        apply(state, Action.verify, RECTIFIED - timedelta(days=1), None, Role.supervisor, TODAY)
    assert (info.value.kind, info.value.field) == ("invalid", "on")
    assert RECTIFIED.isoformat() in info.value.message
    # on the very day it was rectified is fine
    assert apply(state, Action.verify, RECTIFIED, None, Role.supervisor, TODAY).verified_on == RECTIFIED


@pytest.mark.parametrize("action", ["reject", "void"])
def test_only_verify_is_bound_to_rectified_on(action: str) -> None:
    """Rejecting or voiding a rectified hazard may be dated before its rectification (not after found_on)."""
    after = apply(state_in("rectified"), Action(action), RECTIFIED - timedelta(days=1), "误登记", Role.admin, TODAY)
    assert after.status == HazardStatus(LEGAL_MOVES[("rectified", action)])


@pytest.mark.parametrize("note", [None, "", " ", "\t\n", "\u3000 "])
@pytest.mark.parametrize("status", ["open", "rectifying", "rectified"])
def test_void_needs_a_non_blank_note(status: str, note: str | None) -> None:
    with pytest.raises(TransitionError) as info:
        apply(state_in(status), Action.void, ON, note, Role.supervisor, TODAY)
    assert (info.value.kind, info.value.field) == ("invalid", "note")


@pytest.mark.parametrize("action", ["start", "rectify"])
def test_other_actions_need_no_note(action: str) -> None:
    assert apply(state_in("open"), Action(action), ON, None, Role.inspector, TODAY).status != HazardStatus.open


def test_date_is_checked_before_note() -> None:
    with pytest.raises(TransitionError) as info:
        apply(state_in("open"), Action.void, TODAY + timedelta(days=3), None, Role.admin, TODAY)
    assert info.value.field == "on"


# --- properties ---------------------------------------------------------------------------------------------

DAYS = st.integers(min_value=-30, max_value=30)


@given(
    status=st.sampled_from(STATUSES),
    action=st.sampled_from(ACTIONS),
    role=st.sampled_from(ROLES),
    on_offset=DAYS,
    today_offset=st.integers(min_value=0, max_value=60),
    note=st.one_of(st.none(), st.text(max_size=5)),
)
def test_apply_matches_the_model(
    status: str, action: str, role: str, on_offset: int, today_offset: int, note: str | None
) -> None:
    """For any dates and note: the first broken rule wins (role, state, dates, note), else the model's result."""
    before = state_in(status)
    on = FOUND + timedelta(days=on_offset)
    today = FOUND + timedelta(days=today_offset)
    want = expected(status, action, role, on)
    problem: tuple[str, str | None] | None = (want.error, None) if want.error else None
    if problem is None:
        too_early_to_verify = action == "verify" and before.rectified_on is not None and on < before.rectified_on
        if on > today or on < FOUND or too_early_to_verify:
            problem = ("invalid", "on")
        elif action == "void" and not (note or "").strip():
            problem = ("invalid", "note")
    if problem is not None:
        with pytest.raises(TransitionError) as info:
            apply(before, Action(action), on, note, Role(role), today)
        assert (info.value.kind, info.value.field) == problem
        return
    after = apply(before, Action(action), on, note, Role(role), today)
    assert after == want.as_state()


@given(
    moves=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.sampled_from(["admin", "supervisor", "inspector"])), max_size=12
    )
)
def test_random_walks_keep_dates_consistent(moves: list[tuple[str, str]]) -> None:
    """Whatever sequence is tried, an accepted move lands where the table says and the dates stay coherent."""
    state = HazardState(HazardStatus.open, FOUND)
    for i, (action, role) in enumerate(moves):
        on = FOUND + timedelta(days=i)
        try:
            new = apply(state, Action(action), on, "说明", Role(role), TODAY)
        except TransitionError as exc:
            assert exc.kind == expected(state.status.value, action, role, on).error
            continue
        assert new.status.value == LEGAL_MOVES[(state.status.value, action)]
        state = new
        if state.status in (HazardStatus.open, HazardStatus.rectifying):
            assert state.rectified_on is None and state.verified_on is None
        if state.status == HazardStatus.rectified:
            assert state.rectified_on == on and state.verified_on is None
        if state.status == HazardStatus.verified:
            assert state.verified_on is not None and state.rectified_on is not None
            assert FOUND <= state.rectified_on <= state.verified_on <= TODAY
