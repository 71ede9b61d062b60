"""Inspection use cases. Each write commits once.

Rules (422 naming the field unless said otherwise):
- At least two distinct officers, each inside the caller's region and certified on `inspected_on`
  (行政处罚法 第42条); they need not share the institution's region.
- The institution exists inside the caller's region and is not closed.
- `inspected_on` is not in the future (Asia/Shanghai); a hazard's `due_on` is not before it (a missing one gets the
  severity's default deadline, app.hazards.deadlines).
- An inspector posts and changes only inspections its linked officer takes part in (403); supervisors
  and admins any inside their region; viewers none.
- A named plan exists inside the caller's region and covers the institution (its kinds and region). Plans
  sit above inspections, so the plan is read through a `PlanLookup` the caller hands in (app.plans.queries).
- Replay by client id (app.db.replay): the same request answers 200 with the record as it is now, another
  409; nested hazard ids already used elsewhere are 409 too.
- Events (app.db.outbox), in the use case's transaction and never for a replay: a create records
  `inspection.created` and one `hazard.created` per nested hazard (one INSERT); adding a hazard records its
  `hazard.created`; a PATCH records `inspection.updated` with the fields whose value changed, none if none did.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.models import Role
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.db.bulk import insert_rows, rows_of
from app.db.outbox import EventType, event_rows, record, record_many
from app.db.replay import UniqueField, create_replayable, existing_or_conflict, fingerprint, replay_conflict
from app.hazards import service as hazards
from app.hazards.deadlines import NO_DEFAULTS, DefaultDeadlines
from app.hazards.models import HISTORY_SEQ_UNIQUE, Hazard
from app.hazards.schemas import HazardCreate, HazardRead
from app.inspections.facts import CreateFacts, InstitutionFacts, create_facts
from app.inspections.models import Inspection, InspectionOfficer
from app.inspections.queries import inspection_read, inspection_region
from app.inspections.schemas import InspectionCreate, InspectionRead, InspectionUpdate, OfficerBrief
from app.institutions.models import InstitutionStatus
from app.officers.models import Officer


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What the inspection rules need to know of a plan."""

    name: str
    region_code: str
    kinds: frozenset[str]


PlanLookup = Callable[[AsyncSession, uuid.UUID], Awaitable[PlanTerms | None]]
"""Reads a plan's terms (None if there is no such plan); app.plans.queries.plan_terms."""


def ensure_takes_part(actor: Principal, officer_ids: list[uuid.UUID]) -> None:
    """Inspectors act only on inspections their own officer takes part in."""
    if actor.role != Role.inspector:
        return
    if actor.officer_id is None:
        raise Forbidden("this inspector account is not linked to an officer, so it cannot record inspections")
    if actor.officer_id not in officer_ids:
        raise Forbidden("an inspector may only record inspections it takes part in (its officer is not listed)")


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of the create rules: the errors, and the rows they read (reused for the answer)."""

    errors: list[FieldError]
    institution: InstitutionFacts | None
    officers: dict[uuid.UUID, Officer]


async def _check(
    session: AsyncSession, data: InspectionCreate, facts: CreateFacts, actor: Principal, plans: PlanLookup
) -> Checked:
    errors: list[FieldError] = []
    today = clock.today()
    if data.inspected_on > today:
        errors.append(
            FieldError(
                loc=["body", "inspected_on"], msg=f"{data.inspected_on.isoformat()} is in the future (today is {today})"
            )
        )
    institution = facts.institution
    if institution is None or not scoping.can_see(actor, institution.region_code):
        errors.append(
            FieldError(loc=["body", "institution_id"], msg=f"no institution {data.institution_id} in your region")
        )
    elif institution.status == InstitutionStatus.closed:
        errors.append(
            FieldError(
                loc=["body", "institution_id"],
                msg=f"institution '{institution.name}' is closed and cannot be inspected",
            )
        )
    officers = facts.officers
    listed: set[uuid.UUID] = set()
    for i, officer_id in enumerate(data.officer_ids):
        if officer_id in listed:
            errors.append(
                FieldError(
                    loc=["body", "officer_ids", i],
                    msg=f"officer {officer_id} is listed twice; two distinct officers are needed",
                )
            )
            continue
        listed.add(officer_id)
        officer = officers.get(officer_id)
        if officer is None or not scoping.can_see(actor, officer.region_code):
            errors.append(FieldError(loc=["body", "officer_ids", i], msg=f"no officer {officer_id} in your region"))
        elif (reason := officer.uncertified_reason(data.inspected_on)) is not None:
            errors.append(
                FieldError(
                    loc=["body", "officer_ids", i],
                    msg=f"officer {officer.name} ({officer_id}) is not certified on "
                    f"{data.inspected_on.isoformat()}: {reason}",
                )
            )
    errors.extend(hazards.due_on_errors(data.hazards, data.inspected_on, ["body", "hazards"]))
    if data.plan_id is not None:
        visible = institution if institution is not None and scoping.can_see(actor, institution.region_code) else None
        errors.extend(await _plan_errors(session, data, visible, actor, plans))
    hazard_ids: set[uuid.UUID] = set()
    for i, h in enumerate(data.hazards):
        if h.id is not None and h.id in hazard_ids:
            errors.append(FieldError(loc=["body", "hazards", i, "id"], msg=f"hazard id {h.id} is given twice"))
        elif h.id is not None:
            hazard_ids.add(h.id)
    return Checked(errors, institution, officers)


async def _plan_errors(
    session: AsyncSession,
    data: InspectionCreate,
    institution: InstitutionFacts | None,
    actor: Principal,
    plans: PlanLookup,
) -> list[FieldError]:
    """A named plan exists in the caller's region and covers the institution (kind and region)."""
    assert data.plan_id is not None
    plan = await plans(session, data.plan_id)
    loc: list[str | int] = ["body", "plan_id"]
    if plan is None or not scoping.can_see(actor, plan.region_code):
        return [FieldError(loc=loc, msg=f"no plan {data.plan_id} in your region")]
    if institution is not None and (
        institution.kind.value not in plan.kinds or not scoping.within(plan.region_code, institution.region_code)
    ):
        return [FieldError(loc=loc, msg=f"institution '{institution.name}' is not in the scope of plan '{plan.name}'")]
    return []


async def _ensure_hazard_ids_free(
    session: AsyncSession, data: InspectionCreate, record_id: uuid.UUID, taken: dict[uuid.UUID, str] | None = None
) -> None:
    """409 naming a nested hazard id another record holds. `taken`: those ids as already read (else read now)."""
    if taken is None:
        taken = await hazards.taken_hazard_ids(session, [h.id for h in data.hazards if h.id is not None])
    for i, h in enumerate(data.hazards):
        # The same hazard of this same inspection was stored by a concurrent twin that committed after our
        # replay check: not a conflict; storing then fails on the inspection id and answers as a replay.
        if h.id is not None and h.id in taken and taken[h.id] != hazards.hazard_fingerprint(record_id, h):
            raise Conflict(
                f"hazard id {h.id} is already used by another record",
                errors=[FieldError(loc=["body", "hazards", i, "id"], msg="id already used")],
            )


async def create_inspection(
    session: AsyncSession,
    data: InspectionCreate,
    actor: Principal,
    plans: PlanLookup,
    defaults: DefaultDeadlines = NO_DEFAULTS,
) -> tuple[InspectionRead, bool]:
    """Create (True) or replay (False) an inspection with its officers and hazards, in one transaction.

    Statements: the rules' reads are one (app.inspections.facts; a named plan adds its own); the rows and their
    events are written by one more on PostgreSQL (app.db.bulk.insert_rows), then the commit."""
    record_id = data.id or uuid.uuid4()
    fp = fingerprint(data)
    nested_ids = [h.id for h in data.hazards if h.id is not None]
    facts = await create_facts(session, record_id, data.institution_id, data.officer_ids, nested_ids)
    if data.id is not None and facts.stored_fingerprint is not None:
        if facts.stored_fingerprint != fp:
            raise replay_conflict("inspection", record_id)
        return await get_inspection(session, record_id, actor), False
    ensure_takes_part(actor, data.officer_ids)
    checked = await _check(session, data, facts, actor, plans)
    if checked.errors:
        raise ValidationFailed(
            "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in checked.errors), errors=checked.errors
        )
    await _ensure_hazard_ids_free(session, data, record_id, facts.taken_hazards)
    institution = checked.institution
    assert institution is not None  # the rules passed
    inspection = Inspection(
        id=record_id,
        institution_id=data.institution_id,
        inspected_on=data.inspected_on,
        type=data.type,
        campaign=data.campaign,
        summary=data.summary,
        plan_id=data.plan_id,
        created_by_id=actor.id,
        created_by_name=actor.name,
        create_fingerprint=fp,
    )
    links = [
        InspectionOfficer(inspection_id=record_id, officer_id=oid, position=i) for i, oid in enumerate(data.officer_ids)
    ]
    region = institution.region_code
    stored, entries = hazards.new_hazards(
        record_id, data.institution_id, region, data.inspected_on, data.hazards, 0, actor, defaults=defaults
    )
    created = {
        "inspection_id": record_id,
        "institution_id": data.institution_id,
        "inspected_on": data.inspected_on,
        "hazard_ids": [h.id for h in stored],
    }
    events = event_rows(
        session, [(EventType.inspection_created, region, created), *(hazards.created_event(h, region) for h in stored)]
    )
    groups = [rows_of([inspection]), rows_of(links), *([rows_of(stored), rows_of(entries)] if stored else []), events]

    async def store() -> None:
        await insert_rows(session, groups)

    hazard_ids = UniqueField(
        Hazard.id,
        ("body", "hazards"),
        "a hazard id of this inspection is already used by another record",
        recheck=lambda: _ensure_hazard_ids_free(session, data, record_id),
        follows=(HISTORY_SEQ_UNIQUE,),
    )
    if not await create_replayable(session, Inspection, record_id, fp, "inspection", store, [hazard_ids], alone=True):
        return await get_inspection(session, record_id, actor), False
    read = _created_read(inspection, institution, [checked.officers[oid] for oid in data.officer_ids], stored)
    await session.commit()
    return read, True


def _created_read(
    inspection: Inspection, institution: InstitutionFacts, officers: list[Officer], stored: list[Hazard]
) -> InspectionRead:
    """The answer to a create, from the rows just written and read by the rules: the same body a GET gives,
    without reading it back (saves a transaction and four statements per post)."""
    return InspectionRead(
        id=inspection.id,
        institution_id=institution.id,
        institution_name=institution.name,
        kind=institution.kind,
        region_code=institution.region_code,
        township=institution.township,
        inspected_on=inspection.inspected_on,
        type=inspection.type,
        campaign=inspection.campaign,
        summary=inspection.summary,
        plan_id=inspection.plan_id,
        officer_ids=[o.id for o in officers],
        hazards_count=len(stored),
        created_by=inspection.created_by_name,
        created_at=inspection.created_at,
        updated_at=inspection.updated_at,
        officers=[OfficerBrief(id=o.id, name=o.name, unit=o.unit, certificate_no=o.certificate_no) for o in officers],
        hazards=[HazardRead.of(h, institution.id) for h in stored],
    )


async def get_inspection(session: AsyncSession, inspection_id: uuid.UUID, actor: Principal) -> InspectionRead:
    region = await inspection_region(session, inspection_id)
    if region is None or not scoping.can_see(actor, region):
        raise NotFound(f"inspection {inspection_id} not found")
    return await inspection_read(session, inspection_id)


async def update_inspection(
    session: AsyncSession, inspection_id: uuid.UUID, data: InspectionUpdate, actor: Principal
) -> InspectionRead:
    current = await get_inspection(session, inspection_id, actor)
    ensure_takes_part(actor, current.officer_ids)
    inspection = await session.get(Inspection, inspection_id)
    assert inspection is not None
    changed = []
    for name, value in data.model_dump(exclude_unset=True).items():
        if getattr(inspection, name) != value:
            changed.append(name)
            setattr(inspection, name, value)
    if changed:
        await record(
            session,
            EventType.inspection_updated,
            current.region_code,
            {"inspection_id": inspection_id, "fields": changed},
        )
    await session.commit()
    return await inspection_read(session, inspection_id)


async def add_hazard(
    session: AsyncSession,
    inspection_id: uuid.UUID,
    data: HazardCreate,
    actor: Principal,
    defaults: DefaultDeadlines = NO_DEFAULTS,
) -> tuple[HazardRead, str, bool]:
    """Add a finding to an existing inspection (same rules as nested ones); replay by hazard id.

    The inspection row is locked while the new hazard's position is taken, so concurrent additions keep
    the order they were accepted in.
    """
    await get_inspection(session, inspection_id, actor)  # 404 outside the caller's region
    record_id = data.id or uuid.uuid4()
    fp = hazards.hazard_fingerprint(inspection_id, data)
    if data.id is not None and await existing_or_conflict(session, Hazard, record_id, fp, "hazard") is not None:
        read, tag = await hazards.get_hazard(session, record_id, actor)
        return read, tag, False
    await session.execute(select(Inspection.id).where(Inspection.id == inspection_id).with_for_update())
    inspection = await inspection_read(session, inspection_id)
    ensure_takes_part(actor, inspection.officer_ids)
    if data.due_on is not None and data.due_on < inspection.inspected_on:
        raise ValidationFailed.field(
            ["body", "due_on"],
            f"due_on {data.due_on.isoformat()} is before the inspection date {inspection.inspected_on.isoformat()}",
        )
    position = len(inspection.hazards)
    stored: list[Hazard] = []

    async def store() -> None:
        stored.extend(
            await hazards.add_hazards(
                session,
                inspection_id,
                inspection.institution_id,
                inspection.region_code,
                inspection.inspected_on,
                [data],
                position,
                actor,
                ids=[record_id],
                defaults=defaults,
            )
        )

    created = await create_replayable(session, Hazard, record_id, fp, "hazard", store)
    read, tag = await hazards.get_hazard(session, record_id, actor)
    if created:
        await record_many(session, [hazards.created_event(h, inspection.region_code) for h in stored])
        await session.commit()
    return read, tag, created
