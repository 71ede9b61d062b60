"""Chinese labels of the register and account enums as the console shows them (the hazard enums are
app.reports.labels')."""

from __future__ import annotations

from app.auth.models import Role
from app.inspections.models import InspectionType
from app.institutions.models import InstitutionStatus, OperatorType
from app.officers.models import CertificateStatus

INSPECTION_TYPE: dict[str, str] = {InspectionType.routine: "常规检查", InspectionType.special: "专项检查"}
INSTITUTION_STATUS: dict[str, str] = {
    InstitutionStatus.active: "正常运营",
    InstitutionStatus.suspended: "暂停运营",
    InstitutionStatus.closed: "已关闭",
}
OPERATOR_TYPE: dict[str, str] = {OperatorType.public: "公办", OperatorType.private: "民办"}
CERTIFICATE_STATUS: dict[str, str] = {
    CertificateStatus.valid: "有效",
    CertificateStatus.suspended: "暂扣",
    CertificateStatus.revoked: "吊销",
}
ROLE: dict[str, str] = {
    Role.admin: "管理员",
    Role.supervisor: "监管人员",
    Role.inspector: "执法人员",
    Role.viewer: "查看人员",
}
