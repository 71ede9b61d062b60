"""Import files made the way a bureau makes them: openpyxl workbooks (real Excel dates) and CSV in UTF-8 or
GB18030, with the template's headings."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import httpx
from openpyxl import Workbook

from tests.conftest import OWN_REGION

URL = "/api/v1/imports"
INSTITUTION_HEADINGS = [
    "机构名称",
    "机构类型",
    "类别",
    "行政区划代码",
    "乡镇/街道",
    "统一社会信用代码",
    "地址",
    "联系人",
    "联系电话",
    "床位数",
    "经营性质",
]
OFFICER_HEADINGS = ["姓名", "所在单位", "行政区划代码", "执法证号", "发证日期", "有效期至", "证件状态"]
CREDIT = ["91500240MA5U000018", "91500240MA5U00002B", "91500240MA5U00003E"]


def institution(name: str, credit: str | None, **cells: Any) -> list[Any]:
    """One institution row (the template's column order); `cells` by heading replace the defaults."""
    row: dict[str, Any] = {
        "机构名称": name,
        "机构类型": "养老机构",
        "类别": "敬老院",
        "行政区划代码": OWN_REGION,
        "乡镇/街道": "南宾街道",
        "统一社会信用代码": credit,
        "地址": None,
        "联系人": "谭明",
        "联系电话": "023-73331234",
        "床位数": 120,
        "经营性质": "公办",
    }
    row |= cells
    return [row[h] for h in INSTITUTION_HEADINGS]


def officer(name: str, certificate: str | None, **cells: Any) -> list[Any]:
    row: dict[str, Any] = {
        "姓名": name,
        "所在单位": "殡葬事务中心",
        "行政区划代码": OWN_REGION,
        "执法证号": certificate,
        "发证日期": "2023-05-04",
        "有效期至": "2028/5/3",
        "证件状态": "有效",
    }
    row |= cells
    return [row[h] for h in OFFICER_HEADINGS]


def xlsx(headings: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headings))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headings: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(["" if c is None else c for c in row] for row in rows)
    return out.getvalue().encode(encoding)


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    data: bytes,
    *,
    dry_run: bool = False,
    filename: str = "名录.xlsx",
) -> httpx.Response:
    params = {"dry_run": "true"} if dry_run else {}
    return await client.post(f"{URL}/{kind}", params=params, files={"file": (filename, data)}, headers=headers)
