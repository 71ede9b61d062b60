"""Random-draw use cases (双随机): make a draw, read it, verify it. A draw is never changed afterwards.

Rules:
- Candidates are snapshotted when drawing: institutions in the plan's scope, officers inside the plan's
  region certified on `planned_on`, and the declared conflicts (回避) between them — all sorted by id.
- The first draw of a plan needs no reason; every later one (a redraw) must give one and points to the
  draw it replaces. A caller may name the latest draw it saw (the console's form does): when the plan was drawn
  since, nothing is drawn (409), so a second click does not draw twice.
- Draws of one plan are serialised: the use case locks the plan's row (`SELECT … FOR UPDATE` on PostgreSQL; on
  SQLite writers are serialised already) before it looks for the previous draw, so of parallel first draws one
  wins and the rest are redraws without a reason (422), and parallel redraws form a chain, each replacing the one
  before, instead of all replacing the same draw.
- A stored draw records `draw.created` (region: the plan's) in its transaction.
- The stored draw is signed with HMAC-SHA256 under the current draw signing key (`DRAW_SIGNING_KEYS`, its first
  key; `legacy` = SECRET_KEY when none is configured), and the key's id is stored with it. Verification recomputes
  the teams from the stored inputs and checks the signature with the key the draw names, so any later change to
  any stored field is detected; a draw whose key is no longer configured does not verify (signature not matching).
"""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.config import KeyRing
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import page_of, paginate
from app.db.outbox import EventType, record
from app.institutions.models import Institution
from app.officers.models import Officer, OfficerConflict, certified_on
from app.plans import algorithm
from app.plans.models import Draw, Plan
from app.plans.schemas import DrawCreate, DrawRead, DrawVerification, TeamRead
from app.plans.service import get_plan, in_scope


async def _candidates(session: AsyncSession, plan: Plan, data: DrawCreate) -> algorithm.Candidates:
    institutions = (
        await session.execute(
            select(Institution.id, Institution.name, Institution.township, Institution.region_code)
            .where(in_scope(plan))
            .order_by(Institution.id)
        )
    ).all()
    officers = (
        await session.execute(
            select(Officer.id, Officer.name, Officer.unit, Officer.certificate_no)
            .where(scoping.region_clause(Officer.region_code, plan.region_code), certified_on(data.planned_on))
            .order_by(Officer.id)
        )
    ).all()
    conflicts = (
        await session.execute(
            select(OfficerConflict.officer_id, OfficerConflict.institution_id)
            .where(
                OfficerConflict.officer_id.in_([o.id for o in officers]),
                OfficerConflict.institution_id.in_([i.id for i in institutions]),
            )
            .order_by(OfficerConflict.officer_id, OfficerConflict.institution_id)
        )
    ).all()
    return {
        "institutions": [
            {"id": str(i.id), "name": i.name, "township": i.township, "region_code": i.region_code}
            for i in institutions
        ],
        "officers": [
            {"id": str(o.id), "name": o.name, "unit": o.unit, "certificate_no": o.certificate_no} for o in officers
        ],
        "conflicts": [[str(c.officer_id), str(c.institution_id)] for c in conflicts],
    }


def signed_payload(draw: Draw) -> dict[str, Any]:
    """What the signature covers: every stored input and the result (not the key id: the key is chosen by it)."""
    return {
        "id": str(draw.id),
        "plan_id": str(draw.plan_id),
        "planned_on": draw.planned_on.isoformat(),
        "seed": draw.seed,
        "algorithm": draw.algorithm,
        "parameters": draw.parameters,
        "candidates": draw.candidates,
        "result": draw.result,
        "reason": draw.reason,
        "replaces_draw_id": str(draw.replaces_draw_id) if draw.replaces_draw_id else None,
    }


def draw_read(draw: Draw) -> DrawRead:
    institutions = {i["id"]: i["name"] for i in draw.candidates["institutions"]}
    officers = {o["id"]: o["name"] for o in draw.candidates["officers"]}
    teams = [
        TeamRead(
            institution_id=uuid.UUID(a["institution_id"]),
            institution_name=institutions.get(a["institution_id"], "?"),
            officer_ids=[uuid.UUID(o) for o in a["officer_ids"]],
            officer_names=[officers.get(o, "?") for o in a["officer_ids"]],
        )
        for a in draw.result
    ]
    return DrawRead(
        id=draw.id,
        plan_id=draw.plan_id,
        planned_on=draw.planned_on,
        seed=draw.seed,
        algorithm=draw.algorithm,
        parameters=draw.parameters,
        candidate_institutions=len(institutions),
        candidate_officers=len(officers),
        teams=teams,
        reason=draw.reason,
        replaces_draw_id=draw.replaces_draw_id,
        signing_key_id=draw.signing_key_id,
        created_by_name=draw.created_by_name,
        created_at=draw.created_at,
    )


async def _lock_plan(session: AsyncSession, plan_id: uuid.UUID) -> None:
    """Hold the plan's row lock until this transaction ends: the draws of one plan happen one after another.
    Taken after the visibility check, so a caller cannot lock another region's plan."""
    await session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update())


class _Unchecked:
    """`make_draw(seen=...)` default: the caller does not say which draw it last saw (the API)."""


UNCHECKED = _Unchecked()


async def make_draw(
    session: AsyncSession,
    plan_id: uuid.UUID,
    data: DrawCreate,
    actor: Principal,
    keys: KeyRing,
    seen: uuid.UUID | _Unchecked | None = UNCHECKED,
) -> DrawRead:
    """`seen`: the plan's latest draw as the caller last saw it (None: no draw yet). When given and another draw
    was made since (a second click, another desk), nothing is drawn: 409. Checked under the plan's lock."""
    plan = await get_plan(session, plan_id, actor)
    scoping.ensure_writable(actor, plan.region_code)
    await _lock_plan(session, plan.id)
    previous = await latest_draw_id(session, plan.id)
    if not isinstance(seen, _Unchecked) and seen != previous:
        raise Conflict(f"plan {plan.id} was drawn again since draw {seen} was seen (latest: {previous})")
    if previous is not None and not data.reason:
        raise ValidationFailed.field(["body", "reason"], "this plan already has a draw: a redraw needs a reason")
    candidates = await _candidates(session, plan, data)
    available = len(candidates["institutions"])
    count = data.count if data.count is not None else math.ceil((data.ratio or 0) * available)
    if count > available:
        raise ValidationFailed.field(["body", "count"], f"only {available} institutions are in the plan's scope")
    params: algorithm.Parameters = {
        "count": count,
        "team_size": data.team_size,
        "max_teams_per_officer": data.max_teams_per_officer,
    }
    seed = data.seed or secrets.token_hex(32)
    try:
        result = algorithm.draw(seed, candidates, params)
    except algorithm.NotEnoughOfficers as exc:
        raise ValidationFailed.field(
            ["body", "team_size"],
            f"{exc} (certified on {data.planned_on.isoformat()}, not in conflict, under max_teams_per_officer)",
        ) from exc
    draw = Draw(
        id=uuid.uuid4(),
        plan_id=plan.id,
        planned_on=data.planned_on,
        seed=seed,
        algorithm=algorithm.ALGORITHM,
        parameters=dict(params),
        candidates=dict(candidates),
        result=list(result),
        reason=data.reason,
        replaces_draw_id=previous,
        created_by_name=actor.name,
        created_at=clock.now(),
        signature="",
        signing_key_id=keys.current,
    )
    draw.signature = algorithm.sign(keys.secrets[keys.current], signed_payload(draw))
    session.add(draw)
    await session.flush()
    read = draw_read(draw)
    await record(session, EventType.draw_created, plan.region_code, {"plan_id": plan.id, "draw_id": draw.id})
    await session.commit()
    return read


async def latest_draw_id(session: AsyncSession, plan_id: uuid.UUID) -> uuid.UUID | None:
    """The plan's latest draw (the one a redraw replaces), None before the first; the caller checks visibility."""
    return await session.scalar(
        select(Draw.id).where(Draw.plan_id == plan_id).order_by(Draw.created_at.desc(), Draw.id.desc()).limit(1)
    )


async def get_draw(session: AsyncSession, plan_id: uuid.UUID, draw_id: uuid.UUID, actor: Principal) -> Draw:
    await get_plan(session, plan_id, actor)
    draw = await session.get(Draw, draw_id)
    if draw is None or draw.plan_id != plan_id:
        raise NotFound(f"draw {draw_id} not found in plan {plan_id}")
    return draw


async def list_draws(
    session: AsyncSession, plan_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[DrawRead], str | None]:
    """Oldest first."""
    await get_plan(session, plan_id, actor)
    stmt = paginate(
        select(Draw).where(Draw.plan_id == plan_id),
        [Draw.created_at, Draw.id],
        cursor,
        limit,
        parse=[datetime, uuid.UUID],
    )
    rows = (await session.execute(stmt)).scalars().all()
    page, next_cursor = page_of(rows, limit, lambda d: [d.created_at, d.id])
    return [draw_read(d) for d in page], next_cursor


def verify(draw: Draw, keys: KeyRing) -> DrawVerification:
    try:
        recomputed = algorithm.draw(draw.seed, draw.candidates, draw.parameters)  # type: ignore[arg-type]
        result_matches = draw.algorithm == algorithm.ALGORITHM and recomputed == draw.result
    except (algorithm.NotEnoughOfficers, KeyError, TypeError, ValueError):
        result_matches = False
    secret = keys.secret(draw.signing_key_id)
    signature_matches = secret is not None and secrets.compare_digest(
        algorithm.sign(secret, signed_payload(draw)), draw.signature
    )
    return DrawVerification(
        draw_id=draw.id,
        algorithm=draw.algorithm,
        valid=result_matches and signature_matches,
        result_matches=result_matches,
        signature_matches=signature_matches,
    )
