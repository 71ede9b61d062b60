"""Stale-edit detection (app.db.revision) through the services that use it: an edit made from an old revision
is refused (412) and changes nothing, even when the clock stands still; without a revision nothing is checked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.auth.models import Role
from app.auth.principals import Principal, PrincipalKind
from app.core import clock
from app.core.errors import PreconditionFailed
from app.db.revision import revision
from app.db.session import Database
from app.institutions import service
from app.institutions.models import Institution
from app.institutions.schemas import InstitutionCreate, InstitutionUpdate

ADMIN = Principal(PrincipalKind.user, uuid.uuid4(), "admin", Role.admin, "")


async def test_an_old_revision_is_refused_even_under_a_frozen_clock(clean_db: Database) -> None:
    with clock.frozen_clock(datetime(2023, 5, 4, 1, 0, tzinfo=UTC)):
        async with clean_db.write_session() as s:
            made, _ = await service.create_institution(
                s, InstitutionCreate(name="敬老院", kind="elderly_care", region_code="500240"), ADMIN
            )
            ident, loaded = made.id, revision(made)
        async with clean_db.write_session() as s:
            updated = await service.update_institution(s, ident, InstitutionUpdate(beds=10), ADMIN, revision=loaded)
            assert revision(updated) != loaded
        async with clean_db.write_session() as s:
            with pytest.raises(PreconditionFailed):
                await service.update_institution(s, ident, InstitutionUpdate(beds=99), ADMIN, revision=loaded)
        async with clean_db.write_session() as s:
            await service.update_institution(s, ident, InstitutionUpdate(name="新名"), ADMIN)  # the API: unchecked
        async with clean_db.query_session() as s:
            stored = await s.get(Institution, ident)
            assert stored is not None and (stored.beds, stored.name) == (10, "新名")
