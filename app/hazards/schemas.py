"""Hazard bodies. `overdue` is computed against the service clock's date (Asia/Shanghai)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.core import clock
from app.core.schemas import ReadModel, StrictInput
from app.hazards.models import Hazard, HazardCategory, HazardStatus, HistoryAction, Severity
from app.hazards.workflow import Action
from app.institutions.models import InstitutionKind

Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Field(examples=["消防通道堆放杂物"])
]
LegalBasis = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000), Field(examples=["《养老机构管理办法》第三十一条"])
]


PlanText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RectificationPlan(StrictInput):
    """The rectification plan (整改方案) with the five 落实: measures, the person responsible, funds, the
    deadline (the hazard's `due_on`, with `deadline_note` for its stages) and the contingency in `measures`."""

    measures: PlanText = Field(description="整改措施", examples=["清理消防通道,设置禁止堆放标识"])
    responsible_person: ShortText = Field(description="整改责任人", examples=["张三(院长)"])
    funds: ShortText | None = Field(default=None, description="整改资金", examples=["2000元,机构自筹"])
    deadline_note: PlanText | None = Field(default=None, description="整改时限说明", examples=["5月10日前完成"])


class HazardCreate(StrictInput):
    id: uuid.UUID | None = Field(default=None, description="client-chosen id; replays are 200")
    category: HazardCategory = Field(
        description="fire_safety 消防, building 建筑, electrical 用电, gas 燃气, "
        "food 食品, medical 医疗, service 服务, management 管理, "
        "license 证照, other 其他"
    )
    severity: Severity = Field(description="general 一般 / major 重大")
    description: Description
    legal_basis: LegalBasis | None = None
    due_on: date | None = Field(
        default=None,
        description="整改期限; not before the inspection date. When omitted: the inspection date + "
        "`DUE_WORKING_DAYS_GENERAL` / `DUE_WORKING_DAYS_MAJOR` working days by severity (official calendar of "
        "China), when that setting is set, else null",
    )
    rectification_plan: RectificationPlan | None = Field(
        default=None, description="整改方案 (五落实); later changes by the `plan` transition"
    )


class HazardRead(ReadModel):
    id: uuid.UUID
    inspection_id: uuid.UUID
    institution_id: uuid.UUID
    category: HazardCategory
    severity: Severity
    description: str
    legal_basis: str | None
    due_on: date | None
    status: HazardStatus
    found_on: date
    rectified_on: date | None
    verified_on: date | None
    rectification_plan: RectificationPlan | None = Field(default=None, description="the latest 整改方案")
    overdue: bool = Field(description="open or rectifying, and due_on before today (Asia/Shanghai)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, hazard: Hazard, institution_id: uuid.UUID) -> HazardRead:
        data = {name: getattr(hazard, name) for name in HAZARD_COLUMNS}
        return cls.model_validate(
            {**data, "institution_id": institution_id, "overdue": hazard.is_overdue(clock.today())}
        )


class HazardListItem(HazardRead):
    """A hazard as listed, with the institution it was found at."""

    institution_name: str
    kind: InstitutionKind
    region_code: str
    township: str | None


# The columns of `hazards` that HazardRead shows as they are stored (the ORM detail and the SQL list read both).
HAZARD_COLUMNS = (
    "id",
    "inspection_id",
    "category",
    "severity",
    "description",
    "legal_basis",
    "due_on",
    "status",
    "found_on",
    "rectified_on",
    "verified_on",
    "rectification_plan",
    "created_at",
    "updated_at",
)


class TransitionCreate(StrictInput):
    action: Action = Field(description="start, rectify, verify (销号), reject, void, plan (整改方案, status kept)")
    on: date | None = Field(
        default=None,
        description="the date it happened; default today (Asia/Shanghai). Not in the future nor before found_on",
    )
    note: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="required (not blank) for void"
    )
    evidence_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="evidence of this hazard that supports the move"
    )
    rectification_plan: RectificationPlan | None = Field(
        default=None, description="the new 整改方案: required for `plan`, refused with any other action"
    )


class HistoryRead(ReadModel):
    seq: int = Field(description="1 = create; entries are never edited")
    action: HistoryAction
    from_status: HazardStatus | None = Field(serialization_alias="from")
    to_status: HazardStatus = Field(serialization_alias="to")
    on: date | None
    note: str | None
    evidence_ids: list[uuid.UUID]
    rectification_plan: RectificationPlan | None = Field(default=None, description="the plan this entry set")
    actor_id: uuid.UUID
    actor_name: str
    actor_role: str
    at: datetime


class EvidenceRead(ReadModel):
    id: uuid.UUID
    hazard_id: uuid.UUID
    filename: str = Field(description="the original file name")
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime
