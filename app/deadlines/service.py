"""The deadline tick and the deadline effects of hazard transitions.

Rules (API.md "Deadlines, reminders and escalation"):
- The tick as of D works set-wise: every working-day condition becomes a date cut-off computed here from the
  calendar, then one INSERT … SELECT … ON CONFLICT DO NOTHING per notice kind and one for every ladder rung
  together, and one INSERT … SELECT of events per kind over the rows this tick stamped with its `tick_id`. The
  number of statements is constant (at most 9, 10 on PostgreSQL), never a function of the number of hazards.
- Only `open` / `rectifying` hazards (their current status) with a `due_on` and `found_on` <= D:
  - `hazard.due_soon`: D <= due_on and the working days in (D, due_on] are at most REMIND_WORKING_DAYS_BEFORE,
    i.e. D <= due_on < the (R+1)-th working day after D;
  - `hazard.overdue`: due_on < D;
  - a rung `level:N`: D is at least the N-th working day after due_on, i.e. due_on < the N-th working day on or
    before D.
- `officer.certificate_expiring`: a `valid` certificate with D <= expires_on <= D + CERTIFICATE_NOTICE_DAYS.
- Nothing is raised twice (the unique keys of app.deadlines.models); on PostgreSQL concurrent ticks also take one
  transaction-level advisory lock, so they queue instead of waiting on each other's unique keys row by row.
  The unique key alone leaves out what was raised before (ON CONFLICT DO NOTHING), never an anti-join against
  the table being inserted into: when the planner believes that table empty (a new database's first tick) it
  nested-loops a sequential scan of it per hazard, which then reads every row the statement itself has added
  (quadratic: minutes on the 1M bench data instead of seconds).
- On PostgreSQL the tick's statements run under TICK_STATEMENT_TIMEOUT_MS (set in the lock's statement, local
  to the tick's transaction), not the requests' DB_STATEMENT_TIMEOUT_MS: a first tick over years of data
  raises hundreds of thousands of rows at once.
- A hazard rectified or voided resolves its open escalations (`resolved_on` = the transition's `on`), and a major
  hazard's verify creates its follow-up, due FOLLOW_UP_WORKING_DAYS working days after `verified_on`: both in the
  transition's transaction (`transition_effects`, handed to app.hazards as its `TransitionEffects`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, literal, select, text, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import calendar, clock
from app.core.config import Settings
from app.core.errors import ValidationFailed
from app.core.pagination import AnySelect
from app.db.outbox import EventSpec, EventType, record_select
from app.db.sqlgen import date_text, json_object, new_uuid, uuid_text
from app.deadlines.models import Escalation, EscalationStatus, FollowUp, Notice, NoticeKind
from app.hazards.models import OPEN_STATUSES, Hazard, HazardStatus, Severity
from app.hazards.service import Transitioned, TransitionEffects
from app.institutions.models import Institution
from app.officers.models import CertificateStatus, Officer

TICK_LOCK_KEY = 0x16DEAD11
"""The PostgreSQL advisory lock ticks take (one tick at a time per database)."""


@dataclass
class TickResult:
    """What one tick raised (newly: what an earlier tick raised is not counted again)."""

    on: date
    due_soon: int = 0
    overdue: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    certificates_expiring: int = 0
    statements: int = 0


def nth_working_day_back(day: date, n: int) -> date:
    """The n-th working day counting back from `day` itself (n >= 1)."""
    count = 0
    while True:
        if calendar.is_working_day(day):
            count += 1
            if count == n:
                return day
        day -= timedelta(days=1)


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


# Rendered into the SQL text, never a parameter: the planner must see the values to use the partial index
# ix_hazards_open_due (its predicate is OPEN_DUE_WHERE), also under a generic plan.
_OPEN: BindParameter[list[str]] = bindparam(
    "open_statuses", [s.value for s in OPEN_STATUSES], expanding=True, literal_execute=True
)


def _open_hazards(on: date) -> AnySelect:
    """hazards × their institution, open or rectifying with a due date, found by `on`."""
    return (
        select(Hazard.id, Hazard.due_on, Hazard.institution_id, Institution.region_code)
        .join(Institution, Institution.id == Hazard.institution_id)
        .where(Hazard.status.in_(_OPEN), Hazard.due_on.is_not(None), Hazard.found_on <= on)
    )


class Tick:
    """One tick as of a date, in the caller's transaction (the caller commits once)."""

    def __init__(self, session: AsyncSession, settings: Settings, on: date) -> None:
        self.session = session
        self.settings = settings
        self.on = on
        self.dialect = session.get_bind().dialect.name
        self.tick_id = uuid.uuid4()
        self.result = TickResult(on)

    async def begin(self) -> None:
        """PostgreSQL: the tick's own statement timeout and the advisory lock, in one statement, both for this
        transaction only. SQLite needs neither (one writer at a time, no statement timeout)."""
        if self.dialect == "postgresql":
            lock = text("SELECT set_config('statement_timeout', :timeout, true), pg_advisory_xact_lock(:key)")
            timeout = str(self.settings.TICK_STATEMENT_TIMEOUT_MS)
            await self._run(lock.bindparams(timeout=timeout, key=TICK_LOCK_KEY))

    async def _run(self, stmt: Any) -> int:
        self.result.statements += 1
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def _notices(self, kind: NoticeKind, source: AnySelect) -> int:
        """Insert the notices (subject_id, on_date, region_code) of `source` not sent before."""
        src = source.subquery()
        rows = select(
            new_uuid(self.dialect),
            literal(kind.value),
            src.c[0],
            src.c[1],
            src.c[2],
            literal(self.on),
            literal(self.tick_id),
        ).where(literal(True))  # SQLite parses INSERT … SELECT … ON CONFLICT only after a WHERE
        stmt = (
            _insert(self.session, Notice)
            .from_select(["id", "kind", "subject_id", "on_date", "region_code", "raised_on", "tick_id"], rows)
            .on_conflict_do_nothing(index_elements=["kind", "subject_id", "on_date"])
        )
        return await self._run(stmt)

    async def _notice_events(self, kind: NoticeKind, data: dict[str, Any]) -> None:
        rows = (
            select(Notice.region_code, json_object(self.dialect, data))
            .where(Notice.tick_id == self.tick_id, Notice.kind == kind)
            .order_by(Notice.region_code, Notice.subject_id)
        )
        self.result.statements += 1
        await record_select(self.session, EventType(kind.value), rows)

    async def hazard_notices(self) -> None:
        on = self.on
        soon_before = calendar.add_working_days(on, self.settings.REMIND_WORKING_DAYS_BEFORE + 1)
        hazards = _open_hazards(on)
        subject = [Hazard.id, Hazard.due_on, Institution.region_code]
        self.result.due_soon = await self._notices(
            NoticeKind.due_soon,
            hazards.with_only_columns(*subject).where(Hazard.due_on >= on, Hazard.due_on < soon_before),
        )
        self.result.overdue = await self._notices(
            NoticeKind.overdue, hazards.with_only_columns(*subject).where(Hazard.due_on < on)
        )
        data = {"hazard_id": uuid_text(Notice.subject_id, self.dialect), "due_on": date_text(Notice.on_date)}
        if self.result.due_soon:
            await self._notice_events(NoticeKind.due_soon, data)
        if self.result.overdue:
            await self._notice_events(NoticeKind.overdue, data)

    async def escalations(self) -> None:
        """Every rung of both ladders in ONE INSERT … SELECT (UNION ALL of the rungs), the levels raised counted
        after it by the tick's id: one statement however long the ladders."""
        rungs = []
        for severity, ladder in self.settings.ladders.items():
            for level, days in ladder:
                cutoff = nth_working_day_back(self.on, days)
                rungs.append(
                    _open_hazards(self.on)
                    .with_only_columns(Hazard.id, Hazard.institution_id, Institution.region_code, literal(level))
                    .where(Hazard.severity == Severity(severity), Hazard.due_on < cutoff)
                )
        if not rungs:
            return
        src = union_all(*rungs).subquery("rungs")
        hazard_id, institution_id, region_code, level_column = src.c
        rows = select(
            new_uuid(self.dialect),
            hazard_id,
            institution_id,
            region_code,
            level_column,
            literal(self.on),
            literal(EscalationStatus.open.value),
            literal(self.tick_id),
        ).where(literal(True))  # SQLite parses INSERT … SELECT … ON CONFLICT only after a WHERE
        columns = ["id", "hazard_id", "institution_id", "region_code", "level", "raised_on", "status", "tick_id"]
        stmt = (
            _insert(self.session, Escalation)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["hazard_id", "level"])
        )
        if await self._run(stmt):
            self.result.statements += 1
            per_level = select(Escalation.level, func.count()).where(Escalation.tick_id == self.tick_id)
            counted = await self.session.execute(per_level.group_by(Escalation.level))
            self.result.escalations = {str(level): int(n) for level, n in counted.all()}
        if self.result.escalations:
            data = {
                "escalation_id": uuid_text(Escalation.id, self.dialect),
                "hazard_id": uuid_text(Escalation.hazard_id, self.dialect),
                "level": Escalation.level,
            }
            rows = (
                select(Escalation.region_code, json_object(self.dialect, data))
                .where(Escalation.tick_id == self.tick_id)
                .order_by(Escalation.hazard_id, Escalation.level)
            )
            self.result.statements += 1
            await record_select(self.session, EventType.escalation_raised, rows)

    async def certificates(self) -> None:
        last = self.on + timedelta(days=self.settings.CERTIFICATE_NOTICE_DAYS)
        source = select(Officer.id, Officer.certificate_expires_on, Officer.region_code).where(
            Officer.certificate_no.is_not(None),
            Officer.certificate_status == CertificateStatus.valid,
            Officer.certificate_expires_on >= self.on,
            Officer.certificate_expires_on <= last,
        )
        self.result.certificates_expiring = await self._notices(NoticeKind.certificate_expiring, source)
        if self.result.certificates_expiring:
            data = {
                "officer_id": uuid_text(Notice.subject_id, self.dialect),
                "certificate_no": select(Officer.certificate_no)
                .where(Officer.id == Notice.subject_id)
                .scalar_subquery(),
                "expires_on": date_text(Notice.on_date),
            }
            await self._notice_events(NoticeKind.certificate_expiring, data)


def check_tick_date(on: date | None) -> date:
    """The tick's date: today (Asia/Shanghai) by default; a future date is refused."""
    today = clock.today()
    if on is None:
        return today
    if on > today:
        raise ValidationFailed.field(["on"], f"the tick date {on.isoformat()} is after today ({today.isoformat()})")
    return on


async def tick(session: AsyncSession, settings: Settings, on: date | None = None) -> TickResult:
    """Raise everything due by `on` (default today) that was not raised before; commits once."""
    day = check_tick_date(on)
    job = Tick(session, settings, day)
    await job.begin()
    await job.hazard_notices()
    await job.escalations()
    await job.certificates()
    await session.commit()
    return job.result


def transition_effects(settings: Settings) -> TransitionEffects:
    """The deadline effects of a hazard transition (app.hazards' `TransitionEffects`), for the composition root."""

    async def effects(session: AsyncSession, moved: Transitioned) -> Sequence[EventSpec]:
        if moved.to_status in (HazardStatus.rectified, HazardStatus.voided):
            await session.execute(
                update(Escalation)
                .where(Escalation.hazard_id == moved.hazard_id, Escalation.status == EscalationStatus.open)
                .values(status=EscalationStatus.resolved, resolved_on=moved.on)
            )
        if moved.to_status == HazardStatus.verified and moved.severity == Severity.major:
            follow_up_id = uuid.uuid4()
            due_on = calendar.add_working_days(moved.on, settings.FOLLOW_UP_WORKING_DAYS)
            stmt = (
                _insert(session, FollowUp)
                .values(
                    id=follow_up_id,
                    hazard_id=moved.hazard_id,
                    institution_id=moved.institution_id,
                    region_code=moved.region_code,
                    verified_on=moved.on,
                    due_on=due_on,
                )
                .on_conflict_do_nothing(index_elements=["hazard_id"])
            )
            if (await session.execute(stmt)).rowcount:  # type: ignore[attr-defined]
                data = {
                    "follow_up_id": follow_up_id,
                    "hazard_id": moved.hazard_id,
                    "institution_id": moved.institution_id,
                    "due_on": due_on,
                }
                return [(EventType.follow_up_due, moved.region_code, data)]
        return []

    return effects
