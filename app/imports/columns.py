"""The columns of the two import files (UI.md `/console/import`): Chinese heading → API field, and how a
cell becomes the value the create route's schema validates.

Rules:
- Headings are exactly the template's (a hint in brackets after one, `机构类型(殡葬机构/养老机构)`, is allowed).
- An empty cell (spaces and full-width spaces only) is a field not sent: the schema's default applies on a
  create, and the stored value stays on an update (an import never clears a value).
- Choice columns take the Chinese label (殡葬机构, 公办, 暂扣 …) or the API's own value (funeral …).
- Code-like cells (区划代码, 信用代码, 证号, 电话) that Excel stored as numbers are written back as digits
  (500240, not 500240.0).
- Date cells are Excel dates or text: 2023-05-04, 2023/5/4, 2023.5.4, 2023年5月4日; an Excel serial number
  (a date cell formatted as a number) is read as Excel counts days.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from app.imports.schemas import ImportKind

CellKind = Literal["text", "code", "int", "date"]
BLANK = " \t\r\n\u3000\ufeff"
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_HINT = re.compile(r"\s*[(（].*[)）]\s*$")
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (1, 2958465)  # 1900-01-01 … 9999-12-31


class BadChoice(ValueError):
    """A choice cell that is neither a label nor a value of its column."""


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    field: str
    cell: CellKind = "text"
    required: bool = False
    choices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # label -> value
    note: str = ""

    def convert(self, raw: Any) -> Any:
        """The cell as the schema's input, or None for an empty cell. A choice that fits neither a label
        nor a value raises BadChoice."""
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = raw.strip(BLANK)
            if not raw:
                return None
        if self.cell == "date":
            return to_date(raw)
        if isinstance(raw, bool):
            return str(raw)
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if self.cell == "int":
            return raw
        text = str(raw)
        if self.choices:
            if text in self.choices:
                return self.choices[text]
            if text in self.choices.values():
                return text
            raise BadChoice(f"expected one of {' / '.join(self.choices)}")
        return text


def to_date(raw: Any) -> Any:
    """A date from an Excel date, serial number or text; anything else is returned as it came (the schema
    then refuses it as not a date)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and SERIAL_RANGE[0] <= raw <= SERIAL_RANGE[1]:
        return EXCEL_EPOCH + timedelta(days=int(raw))
    text = str(raw)
    found = _DATE_TEXT.fullmatch(text)
    if found:
        try:
            return date(*(int(part) for part in found.groups()))
        except ValueError:
            return text
    return text


def heading_of(cell: Any) -> str:
    """A heading cell without surrounding blanks and without a bracketed hint."""
    return _HINT.sub("", str(cell or "").strip(BLANK))


INSTITUTION_COLUMNS = (
    Column("机构名称", "name", required=True),
    Column("机构类型", "kind", required=True, choices={"殡葬机构": "funeral", "养老机构": "elderly_care"}),
    Column("类别", "category", note="如 殡仪馆、公墓、骨灰堂、养老院、敬老院"),
    Column("行政区划代码", "region_code", "code", required=True, note="如 500240"),
    Column("乡镇/街道", "township"),
    Column("统一社会信用代码", "credit_code", "code", note="18位;再次导入时按它找到已有机构"),
    Column("地址", "address"),
    Column("联系人", "contact_person"),
    Column("联系电话", "contact_phone", "code"),
    Column("床位数", "beds", "int", note="整数"),
    Column("经营性质", "operator_type", choices={"公办": "public", "民办": "private"}),
)
OFFICER_COLUMNS = (
    Column("姓名", "name", required=True),
    Column("所在单位", "unit", required=True, note="如 殡葬事务中心"),
    Column("行政区划代码", "region_code", "code", required=True, note="如 500240"),
    Column("执法证号", "certificate_no", "code", note="再次导入时按它找到已有人员"),
    Column("发证日期", "certificate_issued_on", "date", note="如 2023-05-04、2023/5/4、2023年5月4日"),
    Column("有效期至", "certificate_expires_on", "date", note="不早于发证日期"),
    Column("证件状态", "certificate_status", choices={"有效": "valid", "暂扣": "suspended", "吊销": "revoked"}),
)
COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.institutions: INSTITUTION_COLUMNS,
    ImportKind.officers: OFFICER_COLUMNS,
}


def label_of(kind: ImportKind, field_name: str) -> str:
    """The heading of a field (the field's own name when it has no column)."""
    return next((c.heading for c in COLUMNS[kind] if c.field == field_name), field_name)
