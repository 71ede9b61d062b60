"""Institution use cases (writes; the reads are in app.institutions.queries). Each write commits once.

Rules:
- Created and changed only by admins and supervisors, only inside their region (403 outside).
- A client-chosen id replays (200) with the same request, 409 with another (app.db.replay).
- `credit_code` is unique: taking one already used is 409 naming the field (and the holder, if the caller can
  see it).
- An update given the `revision` it was read at (the console's edit form) applies only to that revision, else 412
  and nothing changes (app.db.revision); the API's PATCH sends none.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.db.replay import UniqueField, create_replayable, existing_or_conflict, fingerprint
from app.db.revision import ensure_revision
from app.db.versions import touch
from app.institutions.models import Institution
from app.institutions.queries import get_institution
from app.institutions.schemas import InstitutionCreate, InstitutionUpdate


async def _ensure_credit_code_free(
    session: AsyncSession, code: str | None, own_id: uuid.UUID | None, actor: Principal
) -> None:
    if code is None:
        return
    holder = (
        await session.execute(select(Institution.id, Institution.region_code).where(Institution.credit_code == code))
    ).first()
    if holder is not None and holder.id != own_id:
        raise scoping.value_taken(actor, "credit_code", code, "institution", holder.id, holder.region_code)


async def create_institution(
    session: AsyncSession, data: InstitutionCreate, actor: Principal
) -> tuple[Institution, bool]:
    """Create (True) or replay (False) an institution."""
    scoping.ensure_writable(actor, data.region_code)
    record_id = data.id or uuid.uuid4()
    fp = fingerprint(data)
    if (
        data.id is not None
        and (found := await existing_or_conflict(session, Institution, record_id, fp, "institution")) is not None
    ):
        return await get_institution(session, found.id, actor), False
    # `record_id` as the holder allowed: a simultaneous twin of this request may have committed since the
    # replay check above; the insert then fails on the id and create_replayable answers it as a replay.
    await _ensure_credit_code_free(session, data.credit_code, record_id, actor)
    institution = Institution(**data.model_dump(exclude={"id"}), id=record_id, create_fingerprint=fp)

    async def store() -> None:
        session.add(institution)

    credit_code = UniqueField(
        Institution.credit_code,
        ("body", "credit_code"),
        "credit_code is already registered to another institution",
        recheck=lambda: _ensure_credit_code_free(session, data.credit_code, record_id, actor),
    )
    created = await create_replayable(session, Institution, record_id, fp, "institution", store, [credit_code])
    if not created:
        return await get_institution(session, record_id, actor), False
    touch(session, institution.region_code)
    await session.commit()
    return institution, True


async def update_institution(
    session: AsyncSession,
    institution_id: uuid.UUID,
    data: InstitutionUpdate,
    actor: Principal,
    *,
    revision: str | None = None,
) -> Institution:
    institution = await get_institution(session, institution_id, actor)
    await ensure_revision(session, institution, revision, "institution")
    changes = data.model_dump(exclude_unset=True)
    if "region_code" in changes:
        scoping.ensure_writable(actor, changes["region_code"])
    if "credit_code" in changes:
        await _ensure_credit_code_free(session, changes["credit_code"], institution.id, actor)
    touch(session, institution.region_code, changes.get("region_code", institution.region_code))
    for name, value in changes.items():
        setattr(institution, name, value)
    await session.commit()
    return institution
