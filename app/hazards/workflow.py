"""The hazard workflow: the transition table as data, and one pure function that applies it.

| action  | from                         | to         | who                          |
|---------|------------------------------|------------|------------------------------|
| start   | open                         | rectifying | inspector, supervisor, admin |
| rectify | open, rectifying             | rectified  | inspector, supervisor, admin |
| verify  | rectified                    | verified   | supervisor, admin (销号)      |
| reject  | rectified                    | rectifying | supervisor, admin            |
| void    | open, rectifying, rectified  | voided     | supervisor, admin            |
| plan    | open, rectifying             | (the same) | inspector, supervisor, admin |

`plan` records or replaces the rectification plan (整改方案, 五落实) and keeps the status; the plan itself
travels in the request (`rectification_plan`, required for `plan` and refused with any other action).

Rules checked by `apply`, in this order: the role may take the action (403), the move starts from an
allowed state (409), `on` is not in the future nor before `found_on`, `verify` not before `rectified_on`
(422), `void` has a non-blank note (422). Fixing on the spot (即查即改) — `on` equal to `found_on` — is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from app.auth.models import Role
from app.hazards.models import HazardStatus


class Action(StrEnum):
    start = "start"
    rectify = "rectify"
    verify = "verify"
    reject = "reject"
    void = "void"
    plan = "plan"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[HazardStatus]
    target: HazardStatus | None  # None: the status stays
    roles: frozenset[Role]


_FIELD = frozenset({Role.inspector, Role.supervisor, Role.admin})
_MANAGER = frozenset({Role.supervisor, Role.admin})
S = HazardStatus

TRANSITIONS: dict[Action, Rule] = {
    Action.start: Rule(frozenset({S.open}), S.rectifying, _FIELD),
    Action.rectify: Rule(frozenset({S.open, S.rectifying}), S.rectified, _FIELD),
    Action.verify: Rule(frozenset({S.rectified}), S.verified, _MANAGER),
    Action.reject: Rule(frozenset({S.rectified}), S.rectifying, _MANAGER),
    Action.void: Rule(frozenset({S.open, S.rectifying, S.rectified}), S.voided, _MANAGER),
    Action.plan: Rule(frozenset({S.open, S.rectifying}), None, _FIELD),
}


@dataclass(frozen=True, slots=True)
class HazardState:
    status: HazardStatus
    found_on: date
    rectified_on: date | None = None
    verified_on: date | None = None


class TransitionError(Exception):
    """A refused move; `kind` tells the service which problem to answer."""

    def __init__(self, kind: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # "forbidden" | "illegal" | "invalid"
        self.message = message
        self.field = field


def apply(state: HazardState, action: Action, on: date, note: str | None, role: Role, today: date) -> HazardState:
    """The state after `action`, or TransitionError. Pure: no I/O, no clock."""
    rule = TRANSITIONS[action]
    if role not in rule.roles:
        allowed = ", ".join(sorted(r.value for r in rule.roles))
        raise TransitionError("forbidden", f"role '{role.value}' may not {action.value} a hazard (needs {allowed})")
    if state.status not in rule.sources:
        sources = ", ".join(sorted(s.value for s in rule.sources))
        raise TransitionError(
            "illegal", f"cannot {action.value} a hazard that is {state.status.value} (allowed from: {sources})"
        )
    if on > today:
        raise TransitionError("invalid", f"{on.isoformat()} is in the future (today is {today.isoformat()})", "on")
    if on < state.found_on:
        raise TransitionError(
            "invalid", f"{on.isoformat()} is before the hazard was found ({state.found_on.isoformat()})", "on"
        )
    if action == Action.verify and state.rectified_on is not None and on < state.rectified_on:
        raise TransitionError(
            "invalid",
            f"cannot verify on {on.isoformat()}, before it was rectified ({state.rectified_on.isoformat()})",
            "on",
        )
    if action == Action.void and not (note or "").strip():
        raise TransitionError("invalid", "voiding needs a note saying why the hazard was registered in error", "note")
    new = replace(state, status=rule.target or state.status)
    if action == Action.rectify:
        new = replace(new, rectified_on=on)
    elif action == Action.verify:
        new = replace(new, verified_on=on)
    elif action == Action.reject:
        new = replace(new, rectified_on=None)
    return new
