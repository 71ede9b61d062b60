"""The registers' create and edit pages: `/console/institutions/new`, `/console/institutions/{id}/edit`,
`/console/officers/new`, `/console/officers/{id}/edit` (the engine and its rules: app.web.console.register_forms).

Fields and labels are the import template's headings (UI.md), plus 运营状态 (the API's `status`). This router is
mounted before the read-only registers so `new` is not taken for an id.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.principals import Principal
from app.institutions import queries as institution_queries
from app.institutions import service as institution_service
from app.institutions.schemas import InstitutionCreate, InstitutionUpdate
from app.officers import service as officer_service
from app.officers.models import CertificateStatus
from app.officers.schemas import OfficerCreate, OfficerUpdate
from app.reports.labels import KIND
from app.web.console.register_forms import Register, mount
from app.web.console.register_labels import CERTIFICATE_STATUS, INSTITUTION_STATUS, OPERATOR_TYPE
from app.web.console.registers import INSTITUTIONS, OFFICERS

router = APIRouter(include_in_schema=False)

INSTITUTION_LABELS = {
    "name": "机构名称",
    "kind": "机构类型",
    "category": "类别",
    "region_code": "行政区划代码",
    "township": "乡镇/街道",
    "credit_code": "统一社会信用代码",
    "address": "地址",
    "contact_person": "联系人",
    "contact_phone": "联系电话",
    "beds": "床位数",
    "operator_type": "经营性质",
    "status": "运营状态",
}
OFFICER_LABELS = {
    "name": "姓名",
    "unit": "所在单位",
    "region_code": "行政区划代码",
    "certificate_no": "执法证号",
    "certificate_issued_on": "发证日期",
    "certificate_expires_on": "有效期至",
    "certificate_status": "证件状态",
}


def _home(principal: Principal) -> dict[str, str]:
    return {"region_code": principal.region_code}


INSTITUTION = Register(
    path=INSTITUTIONS,
    what="机构",
    back_label="返回机构名录",
    template="registers/institution_form.html",
    labels=INSTITUTION_LABELS,
    required=frozenset({"name", "kind", "region_code", "status"}),
    create_body=InstitutionCreate,
    update_body=InstitutionUpdate,
    create=institution_service.create_institution,
    update=institution_service.update_institution,
    get=institution_queries.get_institution,
    choices={"kind": KIND, "operator_type": OPERATOR_TYPE, "status": INSTITUTION_STATUS},
    defaults=lambda principal: {**_home(principal), "status": "active"},
)
OFFICER = Register(
    path=OFFICERS,
    what="执法人员",
    back_label="返回执法人员名录",
    template="registers/officer_form.html",
    labels=OFFICER_LABELS,
    required=frozenset({"name", "unit", "region_code", "certificate_status"}),
    create_body=OfficerCreate,
    update_body=OfficerUpdate,
    create=officer_service.create_officer,
    update=officer_service.update_officer,
    get=officer_service.get_officer,
    choices={"certificate_status": CERTIFICATE_STATUS},
    defaults=lambda principal: {**_home(principal), "certificate_status": CertificateStatus.valid.value},
)

mount(router, INSTITUTION)
mount(router, OFFICER)
