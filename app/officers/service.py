"""Officer use cases. Each write commits once.

Rules:
- Officers are managed by admins and supervisors inside their region; everyone reads inside their region.
- `certificate_no` is unique (409 naming the field); expiry is never before issue (422).
- Trainings are appended to an officer the caller may manage.
- An update given the `revision` it was read at (the console's edit form) applies only to that revision, else 412
  and nothing changes (app.db.revision); the API's PATCH sends none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import ValidationFailed
from app.core.pagination import page_of, paginate
from app.db.replay import UniqueField, create_replayable, existing_or_conflict, fingerprint
from app.db.revision import ensure_revision
from app.db.versions import touch
from app.institutions.models import Institution
from app.officers.models import CertificateStatus, Officer, OfficerConflict, Training, certified_on
from app.officers.schemas import ConflictCreate, ConflictRead, OfficerCreate, OfficerUpdate, TrainingCreate


@dataclass(frozen=True, slots=True)
class OfficerFilters:
    region_code: str | None = None
    unit: str | None = None
    certified_on: date | None = None
    q: str | None = None


async def _ensure_certificate_free(
    session: AsyncSession, code: str | None, own_id: uuid.UUID | None, actor: Principal
) -> None:
    if code is None:
        return
    holder = (
        await session.execute(select(Officer.id, Officer.region_code).where(Officer.certificate_no == code))
    ).first()
    if holder is not None and holder.id != own_id:
        raise scoping.value_taken(actor, "certificate_no", code, "officer", holder.id, holder.region_code)


async def create_officer(session: AsyncSession, data: OfficerCreate, actor: Principal) -> tuple[Officer, bool]:
    """Create (True) or replay (False)."""
    scoping.ensure_writable(actor, data.region_code)
    record_id = data.id or uuid.uuid4()
    fp = fingerprint(data)
    if (
        data.id is not None
        and (found := await existing_or_conflict(session, Officer, record_id, fp, "officer")) is not None
    ):
        return await get_officer(session, found.id, actor), False
    # `record_id` as the holder allowed: a simultaneous twin of this request may have committed since the
    # replay check above; the insert then fails on the id and is answered as a replay.
    await _ensure_certificate_free(session, data.certificate_no, record_id, actor)
    officer = Officer(**data.model_dump(exclude={"id"}), id=record_id, create_fingerprint=fp)

    async def store() -> None:
        session.add(officer)

    certificate = UniqueField(
        Officer.certificate_no,
        ("body", "certificate_no"),
        f"certificate_no '{data.certificate_no}' is already held by another officer",
        recheck=lambda: _ensure_certificate_free(session, data.certificate_no, record_id, actor),
    )
    created = await create_replayable(session, Officer, record_id, fp, "officer", store, [certificate])
    if not created:
        return await get_officer(session, record_id, actor), False
    touch(session, officer.region_code)
    await session.commit()
    return officer, True


async def get_officer(session: AsyncSession, officer_id: uuid.UUID, actor: Principal) -> Officer:
    return await scoping.get_visible(session, Officer, officer_id, actor, "officer")


async def list_officers(
    session: AsyncSession, actor: Principal, filters: OfficerFilters, cursor: str | None, limit: int
) -> tuple[list[Officer], str | None]:
    """Ordered by name, then id."""
    stmt = scoping.scoped(select(Officer), Officer.region_code, actor, filters.region_code)
    if filters.unit:
        stmt = stmt.where(Officer.unit == filters.unit)
    if filters.certified_on is not None:
        stmt = stmt.where(certified_on(filters.certified_on))
    if filters.q:
        stmt = stmt.where(Officer.name.contains(filters.q, autoescape=True))
    stmt = paginate(stmt, [Officer.name, Officer.id], cursor, limit, parse=[str, uuid.UUID])
    rows = (await session.execute(stmt)).scalars().all()
    return page_of(rows, limit, lambda o: [o.name, o.id])


def ensure_dates_ordered(officer: Officer, changes: dict[str, Any]) -> None:
    """422 on `certificate_expires_on` when the changes would leave expiry before issue (stored values fill in)."""
    issued = changes.get("certificate_issued_on", officer.certificate_issued_on)
    expires = changes.get("certificate_expires_on", officer.certificate_expires_on)
    if issued is not None and expires is not None and expires < issued:
        raise ValidationFailed.field(
            ["body", "certificate_expires_on"], f"must not be before certificate_issued_on ({issued.isoformat()})"
        )


async def update_officer(
    session: AsyncSession,
    officer_id: uuid.UUID,
    data: OfficerUpdate,
    actor: Principal,
    *,
    revision: str | None = None,
) -> Officer:
    officer = await get_officer(session, officer_id, actor)
    await ensure_revision(session, officer, revision, "officer")
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes:
        scoping.ensure_writable(actor, changes["region_code"])
    if "certificate_no" in changes:
        await _ensure_certificate_free(session, changes["certificate_no"], officer.id, actor)
    ensure_dates_ordered(officer, changes)
    touch(session, officer.region_code, changes.get("region_code", officer.region_code))
    for name, value in changes.items():
        setattr(officer, name, value)
    await session.commit()
    return officer


async def add_training(
    session: AsyncSession, officer_id: uuid.UUID, data: TrainingCreate, actor: Principal
) -> Training:
    officer = await get_officer(session, officer_id, actor)
    if data.held_on > clock.today():
        raise ValidationFailed.field(["body", "held_on"], "a training cannot be recorded before it is held")
    training = Training(officer_id=officer.id, created_at=clock.now(), **data.model_dump())
    session.add(training)
    touch(session, officer.region_code)
    await session.commit()
    return training


async def list_trainings(
    session: AsyncSession, officer_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[Training], str | None]:
    """Oldest first."""
    await get_officer(session, officer_id, actor)
    stmt = paginate(
        select(Training).where(Training.officer_id == officer_id),
        [Training.held_on, Training.id],
        cursor,
        limit,
        parse=[date, uuid.UUID],
    )
    rows = (await session.execute(stmt)).scalars().all()
    return page_of(rows, limit, lambda t: [t.held_on, t.id])


async def add_conflict(
    session: AsyncSession, officer_id: uuid.UUID, data: ConflictCreate, actor: Principal
) -> tuple[ConflictRead, bool]:
    """Declare a conflict (回避); declaring the same pair again answers the stored one (False)."""
    officer = await get_officer(session, officer_id, actor)
    institution = await session.get(Institution, data.institution_id)
    if institution is None or not scoping.can_see(actor, institution.region_code):
        raise ValidationFailed.field(["body", "institution_id"], f"no institution {data.institution_id} in your region")
    existing = await session.get(OfficerConflict, (officer.id, institution.id))
    if existing is None:
        existing = OfficerConflict(
            officer_id=officer.id, institution_id=institution.id, reason=data.reason, created_at=clock.now()
        )
        session.add(existing)
        touch(session, officer.region_code)
        await session.commit()
        created = True
    else:
        created = False
    return ConflictRead(
        officer_id=officer.id,
        institution_id=institution.id,
        institution_name=institution.name,
        reason=existing.reason,
        created_at=existing.created_at,
    ), created


async def list_conflicts(
    session: AsyncSession, officer_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[ConflictRead], str | None]:
    await get_officer(session, officer_id, actor)
    stmt = paginate(
        select(
            OfficerConflict.officer_id,
            OfficerConflict.institution_id,
            Institution.name.label("institution_name"),
            OfficerConflict.reason,
            OfficerConflict.created_at,
        )
        .join(Institution, Institution.id == OfficerConflict.institution_id)
        .where(
            OfficerConflict.officer_id == officer_id, scoping.region_clause(Institution.region_code, actor.region_code)
        ),
        [OfficerConflict.institution_id],
        cursor,
        limit,
        parse=[uuid.UUID],
    )
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.institution_id])
    return [ConflictRead.model_validate(r._mapping) for r in page], next_cursor


async def expiring_certificates(
    session: AsyncSession, actor: Principal, region_code: str | None, today: date, days: int, limit: int
) -> list[Officer]:
    """Officers in the caller's region whose valid certificate expires within `days` days from `today`
    (today included), the soonest first."""
    stmt = scoping.scoped(select(Officer), Officer.region_code, actor, region_code).where(
        Officer.certificate_status == CertificateStatus.valid,
        Officer.certificate_expires_on.between(today, today + timedelta(days=days)),
    )
    stmt = stmt.order_by(Officer.certificate_expires_on, Officer.name, Officer.id).limit(limit)
    return list((await session.execute(stmt)).scalars().all())
