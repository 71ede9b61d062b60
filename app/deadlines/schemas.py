"""What the deadline lists answer (API.md "Deadlines, reminders and escalation")."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.deadlines.models import EscalationStatus, FollowUpStatus
from app.hazards.models import EscalationLevel


class EscalationRead(BaseModel):
    """One raised level of a hazard's escalation ladder (催办 / 督办 / 约谈 / 挂牌督办)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    hazard_id: uuid.UUID
    institution_id: uuid.UUID
    region_code: str
    level: EscalationLevel
    raised_on: date = Field(description="the date of the tick that raised it")
    status: EscalationStatus
    resolved_on: date | None = Field(description="the `on` of the rectify or void that resolved it")


class FollowUpRead(BaseModel):
    """The follow-up check (回头看) of a verified major hazard; `status` is computed when read."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    hazard_id: uuid.UUID
    institution_id: uuid.UUID
    region_code: str
    due_on: date
    status: FollowUpStatus = Field(
        description="done: an inspection of the institution dated after verified_on exists; "
        "else overdue once due_on < today (Asia/Shanghai); else due"
    )
    done_by_inspection_id: uuid.UUID | None = Field(description="the earliest such inspection")
