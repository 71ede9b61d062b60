"""Hazard use cases (add a finding, transitions, add evidence: each commits once, at its end) and the helpers
other domains use to create hazards (those only add and flush: the inspection's use case commits).

Rules:
- A new hazard starts `open`, with `found_on` = the inspection date and `due_on` not before it.
- One sent without `due_on` is due the severity's default working days after `found_on` (app.hazards.deadlines),
  when that default is set (else `due_on` stays null). The replay fingerprint covers the request as sent, not
  the filled-in date.
- Its history starts with a `create` entry (from none to open), by whom and when.
- The replay fingerprint of a hazard covers its validated body and its inspection id, so the same nested
  hazard re-sent through either endpoint is recognised.
- Every change bumps `version` (the ETag) and appends exactly one history entry; a transition sent with
  `If-Match` applies only to the version the client saw (412 otherwise).
- An accepted transition records `hazard.transitioned` in its transaction; a refused one records nothing.
- The deadline effects of a transition (resolving escalations, creating a follow-up: app.deadlines, which sits
  above hazards) run in the same transaction through the `TransitionEffects` the caller hands in, and their
  events are recorded after `hazard.transitioned`.
  Creating hazards records `hazard.created` (`created_event`) in the use case that stores them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core import clock
from app.core.errors import Conflict, FieldError, Forbidden, PreconditionFailed, ValidationFailed
from app.db.bulk import insert_new
from app.db.outbox import EventSpec, EventType, record, record_many
from app.db.replay import fingerprint
from app.db.versions import touch
from app.hazards import queries, workflow
from app.hazards.deadlines import NO_DEFAULTS, DefaultDeadlines
from app.hazards.evidence import AsyncReadable, store_evidence, unknown_evidence
from app.hazards.models import Hazard, HazardHistory, HazardStatus, HistoryAction, Severity
from app.hazards.schemas import EvidenceRead, HazardCreate, HazardRead, RectificationPlan, TransitionCreate


@dataclass(frozen=True, slots=True)
class Transitioned:
    """An accepted transition, as the deadline effects see it."""

    hazard_id: uuid.UUID
    institution_id: uuid.UUID
    region_code: str
    severity: Severity
    action: str
    to_status: HazardStatus
    on: date


TransitionEffects = Callable[[AsyncSession, Transitioned], Awaitable[Sequence[EventSpec]]]
"""Writes that follow an accepted transition in its transaction, returning the events to record (implemented
by app.deadlines.service.transition_effects, handed over by the composition root)."""


class _HazardFingerprint(BaseModel):
    inspection_id: uuid.UUID
    hazard: HazardCreate


def hazard_fingerprint(inspection_id: uuid.UUID, data: HazardCreate) -> str:
    return fingerprint(_HazardFingerprint(inspection_id=inspection_id, hazard=data))


def due_on_errors(hazards: Sequence[HazardCreate], found_on: date, loc: Sequence[str | int]) -> list[FieldError]:
    return [
        FieldError(
            loc=[*loc, i, "due_on"],
            msg=f"due_on {h.due_on.isoformat()} is before the inspection date {found_on.isoformat()}",
        )
        for i, h in enumerate(hazards)
        if h.due_on is not None and h.due_on < found_on
    ]


async def taken_hazard_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Of `ids`, those already stored, with their fingerprints."""
    if not ids:
        return {}
    rows = await session.execute(select(Hazard.id, Hazard.create_fingerprint).where(Hazard.id.in_(ids)))
    return {row.id: row.create_fingerprint for row in rows}


def history_entry(
    hazard: Hazard,
    seq: int,
    action: HistoryAction,
    from_status: HazardStatus | None,
    on: date | None,
    note: str | None,
    evidence_ids: Sequence[uuid.UUID],
    actor: Principal,
    plan: dict[str, Any] | None = None,
) -> HazardHistory:
    return HazardHistory(
        hazard_id=hazard.id,
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=hazard.status,
        on=on,
        note=note,
        evidence_ids=[str(e) for e in evidence_ids],
        rectification_plan=plan,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_role=actor.role.value,
        at=clock.now(),
    )


def new_hazards(
    inspection_id: uuid.UUID,
    institution_id: uuid.UUID,
    region_code: str,
    found_on: date,
    items: Sequence[HazardCreate],
    first_position: int,
    actor: Principal,
    ids: Sequence[uuid.UUID] | None = None,
    defaults: DefaultDeadlines = NO_DEFAULTS,
) -> tuple[list[Hazard], list[HazardHistory]]:
    """New hazards (in order) and their `create` history entries, not yet written (the rules of `add_hazards`).

    `ids` gives the ids to use (default: the client's, else new ones); `defaults` fills in a `due_on` the client
    did not send (app.hazards.deadlines); the fingerprint is the request's as sent. `institution_id` and
    `region_code` are the inspection's institution and its region."""
    chosen = list(ids) if ids is not None else [data.id or uuid.uuid4() for data in items]
    hazards = [
        Hazard(
            id=chosen[i],
            inspection_id=inspection_id,
            institution_id=institution_id,
            region_code=region_code,
            position=first_position + i,
            category=data.category,
            severity=data.severity,
            description=data.description,
            legal_basis=data.legal_basis,
            due_on=defaults.due_on(found_on, data.severity, data.due_on),
            status=HazardStatus.open,
            found_on=found_on,
            version=1,
            create_fingerprint=hazard_fingerprint(inspection_id, data),
            rectification_plan=plan_json(data.rectification_plan),
        )
        for i, data in enumerate(items)
    ]
    entries = [
        history_entry(h, 1, HistoryAction.create, None, found_on, None, [], actor, h.rectification_plan)
        for h in hazards
    ]
    return hazards, entries


async def add_hazards(
    session: AsyncSession,
    inspection_id: uuid.UUID,
    institution_id: uuid.UUID,
    region_code: str,
    found_on: date,
    items: Sequence[HazardCreate],
    first_position: int,
    actor: Principal,
    ids: Sequence[uuid.UUID] | None = None,
    defaults: DefaultDeadlines = NO_DEFAULTS,
) -> list[Hazard]:
    """Insert hazards (in order) with their `create` history entries (`new_hazards`); does not commit. The
    returned objects are not tracked by the session (app.db.bulk). `institution_id` and `region_code` are the
    inspection's institution and its region."""
    hazards, entries = new_hazards(
        inspection_id, institution_id, region_code, found_on, items, first_position, actor, ids=ids, defaults=defaults
    )
    await insert_new(session, hazards)
    await insert_new(session, entries)
    return hazards


def plan_json(plan: RectificationPlan | None) -> dict[str, Any] | None:
    """The plan as stored (JSON, unset parts left out)."""
    return None if plan is None else plan.model_dump(mode="json", exclude_none=True)


def _plan_errors(data: TransitionCreate) -> None:
    """`plan` needs a rectification_plan; any other action refuses one (422 naming the field)."""
    if data.action == workflow.Action.plan and data.rectification_plan is None:
        raise ValidationFailed.field(["body", "rectification_plan"], "the plan action needs a rectification_plan")
    if data.action != workflow.Action.plan and data.rectification_plan is not None:
        raise ValidationFailed.field(
            ["body", "rectification_plan"], f"a rectification_plan is set by the plan action, not by {data.action}"
        )


def created_event(hazard: Hazard, region_code: str) -> EventSpec:
    """The `hazard.created` event of a hazard just stored (its filled-in `due_on` included)."""
    data = {
        "hazard_id": hazard.id,
        "inspection_id": hazard.inspection_id,
        "severity": hazard.severity.value,
        "due_on": hazard.due_on,
    }
    return EventType.hazard_created, region_code, data


def etag(hazard: Hazard) -> str:
    return f'"{hazard.id.hex}.{hazard.version}"'


def _if_match_ok(if_match: str | None, current: str) -> bool:
    if if_match is None:
        return True
    candidates = [c.strip().removeprefix("W/") for c in if_match.split(",")]
    return "*" in candidates or current in candidates


async def get_hazard(session: AsyncSession, hazard_id: uuid.UUID, actor: Principal) -> tuple[HazardRead, str]:
    ctx = await queries.hazard_context(session, hazard_id, actor)
    hazard = await session.get(Hazard, hazard_id)
    assert hazard is not None
    return HazardRead.of(hazard, ctx.institution_id), etag(hazard)


async def transition(
    session: AsyncSession,
    hazard_id: uuid.UUID,
    data: TransitionCreate,
    if_match: str | None,
    actor: Principal,
    *,
    effects: TransitionEffects,
) -> tuple[HazardRead, str]:
    """Apply one workflow move and append its history entry, atomically.

    The hazard row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serializes writers), so of two
    racing moves the second sees the first's result: it gets 412 (stale If-Match) or 409 (illegal move).
    """
    ctx = await queries.hazard_context(session, hazard_id, actor)
    hazard = (await session.execute(select(Hazard).where(Hazard.id == hazard_id).with_for_update())).scalar_one()
    current = etag(hazard)
    if not _if_match_ok(if_match, current):
        raise PreconditionFailed(
            f"If-Match {if_match} does not match the hazard's current ETag {current}; reload it and try again"
        )
    _plan_errors(data)
    today = clock.today()
    on = data.on or today
    state = workflow.HazardState(hazard.status, hazard.found_on, hazard.rectified_on, hazard.verified_on)
    try:
        new = workflow.apply(state, data.action, on, data.note, actor.role, today)
    except workflow.TransitionError as exc:
        if exc.kind == "forbidden":
            raise Forbidden(exc.message) from exc
        if exc.kind == "illegal":
            raise Conflict(exc.message) from exc
        raise ValidationFailed.field(["body", exc.field or "action"], exc.message) from exc
    bad = await unknown_evidence(session, hazard_id, data.evidence_ids)
    if bad:
        raise ValidationFailed(
            "evidence_ids: not evidence of this hazard",
            errors=[
                FieldError(loc=["body", "evidence_ids", i], msg=f"no evidence {data.evidence_ids[i]} on this hazard")
                for i in bad
            ],
        )
    from_status = hazard.status
    hazard.status, hazard.rectified_on, hazard.verified_on = new.status, new.rectified_on, new.verified_on
    if data.rectification_plan is not None:
        hazard.rectification_plan = plan_json(data.rectification_plan)
    hazard.version += 1
    seq = await session.scalar(select(func.max(HazardHistory.seq)).where(HazardHistory.hazard_id == hazard_id))
    session.add(
        history_entry(
            hazard,
            (seq or 0) + 1,
            HistoryAction(data.action.value),
            from_status,
            on,
            data.note,
            data.evidence_ids,
            actor,
            plan_json(data.rectification_plan),
        )
    )
    await record(
        session,
        EventType.hazard_transitioned,
        ctx.region_code,
        {
            "hazard_id": hazard_id,
            "action": data.action.value,
            "from": from_status.value,
            "to": new.status.value,
            "on": on,
        },
    )
    moved = Transitioned(
        hazard_id, ctx.institution_id, ctx.region_code, hazard.severity, data.action.value, new.status, on
    )
    await record_many(session, await effects(session, moved))
    await session.commit()
    return HazardRead.of(hazard, ctx.institution_id), etag(hazard)


async def add_evidence(
    session: AsyncSession,
    hazard_id: uuid.UUID,
    upload: AsyncReadable,
    filename: str | None,
    actor: Principal,
    data_dir: Path,
    max_bytes: int,
) -> tuple[EvidenceRead, bool]:
    """Attach a file; (record, True) when new, (existing record, False) for the same bytes again.

    The file is written content-addressed first (a blob no row names is harmless and reused by the next upload
    of the same bytes); the row commits here, once."""
    read, created = await store_evidence(session, hazard_id, upload, filename, actor, data_dir, max_bytes)
    if created:
        touch(session, (await queries.hazard_context(session, hazard_id, actor)).region_code)
        await session.commit()
    return read, created
