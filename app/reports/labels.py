"""Chinese labels of the contract's enums, as the bureau's staff write them in reports and ledgers.

Keys are the enum values (StrEnum members hash as their value, so either may be looked up).
"""

from __future__ import annotations

from app.hazards.models import HazardCategory, HazardStatus, Severity
from app.institutions.models import InstitutionKind

KIND: dict[str, str] = {InstitutionKind.funeral: "殡葬机构", InstitutionKind.elderly_care: "养老机构"}
CATEGORY: dict[str, str] = {
    HazardCategory.fire_safety: "消防安全",
    HazardCategory.building: "建筑安全",
    HazardCategory.electrical: "用电安全",
    HazardCategory.gas: "燃气安全",
    HazardCategory.food: "食品安全",
    HazardCategory.medical: "医疗卫生",
    HazardCategory.service: "服务质量",
    HazardCategory.management: "内部管理",
    HazardCategory.license: "证照资质",
    HazardCategory.other: "其他",
}
SEVERITY: dict[str, str] = {Severity.general: "一般", Severity.major: "重大"}
STATUS: dict[str, str] = {
    HazardStatus.open: "待整改",
    HazardStatus.rectifying: "整改中",
    HazardStatus.rectified: "已整改",
    HazardStatus.verified: "已销号",
    HazardStatus.voided: "已作废",
}
