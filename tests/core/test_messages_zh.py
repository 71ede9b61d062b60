"""The Chinese wording of validation errors shown on pages and in the import preview."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, Field, ValidationError

from app.core.errors import ValidationFailed
from app.core.messages_zh import business_message, pydantic_message
from app.web.console.forms import field_errors


class Sample(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    on: date
    count: int = Field(ge=0)
    officer_ids: list[int] = Field(min_length=2)


def _errors(**data: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    return field_errors(
        caught.value, {"name": "机构名称", "on": "检查日期", "count": "床位数", "officer_ids": "执法人员"}
    )


def test_pydantic_errors_are_worded_with_the_label() -> None:
    assert _errors(name="", on="x", count=-1, officer_ids=[1]) == {
        "name": "请填写机构名称",
        "on": "检查日期请填写日期,如 2023-05-04",
        "count": "床位数不能小于0",
        "officer_ids": "执法人员至少选择2项",
    }
    assert _errors(name="abcdef", on="2023-05-04", count=1, officer_ids=[1, 2]) == {"name": "机构名称最多5个字"}
    assert _errors(on="2023-05-04", count=1, officer_ids=[1, 2]) == {"name": "请填写机构名称"}


def test_a_service_rule_is_worded_by_its_pattern_else_shown_with_its_label() -> None:
    exc = ValidationFailed.field(["body", "officer_ids", 1], "officer is not certified on 2023-05-04")
    assert field_errors(exc, {"officer_ids": "执法人员"}) == {
        "officer_ids.1": "所选执法人员在2023-05-04没有有效的执法证"
    }
    assert business_message("something new", "备注") == "备注填写有误:something new"
    assert pydantic_message({"type": "enum", "msg": "x"}, "机构类型") == "机构类型请从列表中选择"


def test_the_hazard_workflows_rules_and_a_strict_date() -> None:
    assert (
        business_message("2999-01-01 is in the future (today is 2026-12-04)", "日期") == "日期不能晚于今天(2026-12-04)"
    )
    assert business_message("2023-05-01 is before the hazard was found (2023-05-04)", "日期") == (
        "日期不能早于发现日期(2023-05-04)"
    )
    assert business_message("cannot verify on 2023-05-05, before it was rectified (2023-05-06)", "日期") == (
        "验收日期不能早于整改日期(2023-05-06)"
    )
    assert business_message("voiding needs a note saying why", "说明").startswith("作废须填写说明")
    assert pydantic_message({"type": "date_format", "msg": "Input should be a date as YYYY-MM-DD"}, "日期") == (
        "日期请填写日期,如 2023-05-04"
    )


@pytest.mark.parametrize(
    ("msg", "sentence"),
    [
        (
            "officer 谭明 (x) is not certified on 2023-05-04: certificate 渝1 expired on 2022-12-31",
            "所选执法人员在2023-05-04没有有效的执法证",
        ),
        ("2099-01-01 is in the future (today is 2026-12-04)", "标签不能晚于今天(2026-12-04)"),
        ("due_on 2023-05-01 is before the inspection date 2023-05-04", "整改期限不能早于检查日期(2023-05-04)"),
        (
            "an inspector may only record inspections it takes part in (its officer is not listed)",
            "检查员只能登记本人参加的检查,请勾选您本人",
        ),
        ("region_code '500101' lies outside your region '500240'", "该行政区划(500101)不在您的管辖范围内"),
        ("give exactly one of count and ratio", "抽取数量和抽取比例请只填写其中一项"),
    ],
)
def test_the_desk_forms_rules_are_worded(msg: str, sentence: str) -> None:
    assert business_message(msg, "标签") == sentence
