"""Officer and training bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from app.core import clock
from app.core.schemas import ReadModel, RegionCode, StrictInput, refuse_null
from app.officers.models import CertificateStatus, Officer

PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Field(examples=["谭明"])
]
Unit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="the officer's unit (e.g. 殡葬事务中心, 社会福利中心)", examples=["殡葬事务中心"]),
]
CertificateNo = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    Field(description="执法证号, unique", examples=["渝执法500240001"]),
]


def _check_dates(expires: date | None, info: ValidationInfo) -> date | None:
    # A field validator (not a model one), so the 422 names `certificate_expires_on` in `errors[].loc`.
    issued = info.data.get("certificate_issued_on")
    if issued is not None and expires is not None and expires < issued:
        raise ValueError("certificate_expires_on must not be before certificate_issued_on")
    return expires


class OfficerCreate(StrictInput):
    id: uuid.UUID | None = Field(default=None, description="client-chosen id; replays are 200")
    name: PersonName
    unit: Unit
    region_code: RegionCode
    certificate_no: CertificateNo | None = None
    certificate_issued_on: date | None = None
    certificate_expires_on: date | None = None
    certificate_status: CertificateStatus = CertificateStatus.valid

    _dates = field_validator("certificate_expires_on")(_check_dates)


class OfficerUpdate(StrictInput):
    """Partial update; only the fields sent change. The date order is checked against the stored record."""

    name: PersonName | None = None
    unit: Unit | None = None
    region_code: RegionCode | None = None
    certificate_no: CertificateNo | None = None
    certificate_issued_on: date | None = None
    certificate_expires_on: date | None = None
    certificate_status: CertificateStatus | None = None

    _not_null = field_validator("name", "unit", "region_code", "certificate_status", mode="before")(refuse_null)

    _dates = field_validator("certificate_expires_on")(_check_dates)


class OfficerRead(ReadModel):
    id: uuid.UUID
    name: str
    unit: str
    region_code: str
    certificate_no: str | None
    certificate_issued_on: date | None
    certificate_expires_on: date | None
    certificate_status: CertificateStatus
    certified: bool = Field(description="certified today (Asia/Shanghai): certificate present, valid, in dates")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, officer: Officer) -> OfficerRead:
        return cls.model_validate(
            {**{k: getattr(officer, k) for k in _FIELDS}, "certified": officer.certified_on(clock.today())}
        )


_FIELDS = (
    "id",
    "name",
    "unit",
    "region_code",
    "certificate_no",
    "certificate_issued_on",
    "certificate_expires_on",
    "certificate_status",
    "created_at",
    "updated_at",
)


class TrainingCreate(StrictInput):
    held_on: date
    hours: float = Field(gt=0, le=1000, description="hours attended, > 0", examples=[4])
    topic: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        Field(examples=["《行政处罚法》专题培训"]),
    ]


class TrainingRead(ReadModel):
    id: uuid.UUID
    officer_id: uuid.UUID
    held_on: date
    hours: float
    topic: str
    created_at: datetime


class ConflictCreate(StrictInput):
    institution_id: uuid.UUID
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        Field(description="why the officer must not inspect it (回避事由)", examples=["近亲属任该院院长"]),
    ]


class ConflictRead(ReadModel):
    officer_id: uuid.UUID
    institution_id: uuid.UUID
    institution_name: str
    reason: str
    created_at: datetime
