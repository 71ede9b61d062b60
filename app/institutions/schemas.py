"""Institution bodies, and the unified social credit code check (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator

from app.core.schemas import Name, ReadModel, RegionCode, ShortText, StrictInput, refuse_null
from app.institutions.models import InstitutionKind, InstitutionStatus, OperatorType

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (mod-31 check over the first 17)."""
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """18 characters from the GB 32100 alphabet (no I, O, S, V, Z), characters 3–8 a division code,
    and a matching check character."""
    code = value.strip().upper()
    if len(code) != 18:
        raise ValueError("unified social credit code must be 18 characters")
    if any(c not in CREDIT_CODE_CHARSET for c in code):
        raise ValueError("unified social credit code may only use 0-9 and A-Y without I, O, S, V, Z")
    if not code[2:8].isdigit():
        raise ValueError("characters 3-8 of a unified social credit code are the region code (digits)")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValueError("unified social credit code check character does not match")
    return code


CreditCode = Annotated[
    str,
    AfterValidator(validate_credit_code),
    Field(
        description="统一社会信用代码: 18 characters, check character verified (GB 32100-2015)",
        examples=["91500240MA5U000018"],
    ),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{3,40}$")]
Township = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), Field(description="乡镇/街道", examples=["南宾街道"])
]
Category = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=50),
    Field(description="e.g. 殡仪馆, 公墓, 骨灰堂, 养老院, 敬老院", examples=["敬老院"]),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Beds = Annotated[int, Field(ge=0, le=100_000, description="number of beds (养老机构)")]


class InstitutionCreate(StrictInput):
    id: uuid.UUID | None = Field(default=None, description="client-chosen id (offline apps); replays are 200")
    name: Name
    kind: InstitutionKind
    category: Category | None = None
    region_code: RegionCode
    township: Township | None = None
    credit_code: CreditCode | None = None
    address: Address | None = None
    contact_person: ShortText | None = None
    contact_phone: Phone | None = None
    operator_type: OperatorType | None = None
    beds: Beds | None = None
    status: InstitutionStatus = InstitutionStatus.active

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "石柱县南宾街道敬老院",
                    "kind": "elderly_care",
                    "category": "敬老院",
                    "region_code": "500240",
                    "township": "南宾街道",
                    "operator_type": "public",
                    "beds": 120,
                }
            ]
        },
    )


class InstitutionUpdate(StrictInput):
    """Partial update: only the fields sent change; required fields may not be set to null."""

    name: Name | None = None
    kind: InstitutionKind | None = None
    category: Category | None = None
    region_code: RegionCode | None = None
    township: Township | None = None
    credit_code: CreditCode | None = None
    address: Address | None = None
    contact_person: ShortText | None = None
    contact_phone: Phone | None = None
    operator_type: OperatorType | None = None
    beds: Beds | None = None
    status: InstitutionStatus | None = None

    _not_null = field_validator("name", "kind", "region_code", "status", mode="before")(refuse_null)


class InstitutionRead(ReadModel):
    id: uuid.UUID
    name: str
    kind: InstitutionKind
    category: str | None
    region_code: str
    township: str | None
    credit_code: str | None
    address: str | None
    contact_person: str | None
    contact_phone: str | None
    operator_type: OperatorType | None
    beds: int | None
    status: InstitutionStatus
    created_at: datetime
    updated_at: datetime
