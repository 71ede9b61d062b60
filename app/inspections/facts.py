"""What the create rules of an inspection read, in one statement (one round trip): the replay check's stored
fingerprint, the institution, the listed officers and the nested hazard ids already stored.

Why one statement: `POST /inspections` is the hot write path (bench/README.md, issue 21); four reads cost four
round trips and four times SQLAlchemy's per-statement Python. Rows are Core rows, not ORM objects (nothing enters
the session's identity map, so a rolled-back create leaves nothing expired behind).

Shape: a one-row anchor, LEFT JOINed to the institution (at most one row) and to the union of the officers and
the taken hazards (one row each), so the result has max(1, officers found + hazards taken) rows; the stored
fingerprint is a scalar subquery on every row. Works unchanged on PostgreSQL and SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, bindparam, literal, null, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.hazards.models import Hazard
from app.inspections.models import Inspection
from app.institutions.models import Institution, InstitutionKind, InstitutionStatus
from app.officers.models import Officer


@dataclass(frozen=True, slots=True)
class InstitutionFacts:
    """The institution as the rules and the answer need it."""

    id: uuid.UUID
    name: str
    kind: InstitutionKind
    region_code: str
    township: str | None
    status: InstitutionStatus


@dataclass(frozen=True, slots=True)
class CreateFacts:
    stored_fingerprint: str | None
    """The fingerprint of an inspection already stored under the request's id (None: no such inspection)."""
    institution: InstitutionFacts | None
    officers: dict[uuid.UUID, Officer]
    """The listed officers that exist (transient objects: `Officer.uncertified_reason` is the one rule)."""
    taken_hazards: dict[uuid.UUID, str]
    """Of the nested hazard ids, those already stored, with their fingerprints."""


_OFFICER, _HAZARD = "o", "h"


def _statement() -> Select[Any]:
    officers = select(
        literal(_OFFICER, String()).label("k"),
        Officer.id.label("id"),
        Officer.name.label("name"),
        Officer.unit.label("unit"),
        Officer.region_code.label("region_code"),
        Officer.certificate_no.label("certificate_no"),
        Officer.certificate_status.label("certificate_status"),
        Officer.certificate_issued_on.label("issued_on"),
        Officer.certificate_expires_on.label("expires_on"),
        null().label("fingerprint"),
    ).where(Officer.id.in_(bindparam("officer_ids", expanding=True)))
    hazards = select(
        literal(_HAZARD, String()),
        Hazard.id,
        null(),
        null(),
        null(),
        null(),
        null(),
        null(),
        null(),
        Hazard.create_fingerprint,
    ).where(Hazard.id.in_(bindparam("hazard_ids", expanding=True)))
    listed = union_all(officers, hazards).subquery("listed")
    anchor = select(literal(1).label("one")).subquery("anchor")
    stored = (
        select(Inspection.create_fingerprint)
        .where(Inspection.id == bindparam("record_id", type_=Inspection.id.type))
        .scalar_subquery()
    )
    return (
        select(
            stored.label("stored_fingerprint"),
            Institution.id.label("institution_id"),
            Institution.name.label("institution_name"),
            Institution.kind,
            Institution.region_code.label("institution_region"),
            Institution.township,
            Institution.status,
            listed,
        )
        .select_from(anchor)
        .outerjoin(Institution, Institution.id == bindparam("institution_id", type_=Institution.id.type))
        .outerjoin(listed, true())
    )


_STATEMENT = _statement()
"""Built once: building it per request cost more Python than running it (the IN lists expand at execution)."""


async def create_facts(
    session: AsyncSession,
    record_id: uuid.UUID,
    institution_id: uuid.UUID,
    officer_ids: Sequence[uuid.UUID],
    hazard_ids: Sequence[uuid.UUID],
) -> CreateFacts:
    params = {
        "record_id": record_id,
        "institution_id": institution_id,
        "officer_ids": list(officer_ids),
        "hazard_ids": list(hazard_ids),
    }
    rows = (await session.execute(_STATEMENT, params)).all()
    first = rows[0]
    institution = (
        None
        if first.institution_id is None
        else InstitutionFacts(
            id=first.institution_id,
            name=first.institution_name,
            kind=first.kind,
            region_code=first.institution_region,
            township=first.township,
            status=first.status,
        )
    )
    found: dict[uuid.UUID, Officer] = {}
    taken: dict[uuid.UUID, str] = {}
    for row in rows:
        if row.k == _OFFICER:
            found[row.id] = Officer(
                id=row.id,
                name=row.name,
                unit=row.unit,
                region_code=row.region_code,
                certificate_no=row.certificate_no,
                certificate_status=row.certificate_status,
                certificate_issued_on=row.issued_on,
                certificate_expires_on=row.expires_on,
            )
        elif row.k == _HAZARD:
            taken[row.id] = row.fingerprint
    return CreateFacts(first.stored_fingerprint, institution, found, taken)
