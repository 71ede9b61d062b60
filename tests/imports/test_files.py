"""Reading import files (no database): openpyxl workbooks, CSV in UTF-8 with or without BOM and in GB18030,
Excel dates and text dates, and the files refused before any row is checked."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.core.errors import ValidationFailed
from app.imports.columns import OFFICER_COLUMNS, BadChoice, heading_of, to_date
from app.imports.schemas import ImportKind
from app.imports.sheet import read_table
from app.imports.template import csv_template, xlsx_template
from tests.imports.helpers import INSTITUTION_HEADINGS, OFFICER_HEADINGS, csv_bytes, institution, officer, xlsx

ROWS = [institution("南宾街道敬老院", "91500240MA5U000018"), institution("西沱镇敬老院", None)]


def test_an_openpyxl_workbook_reads_with_spreadsheet_row_numbers() -> None:
    rows = [*ROWS[:1], [None] * len(INSTITUTION_HEADINGS), *ROWS[1:]]  # a blank row 3 is skipped, not counted
    table = read_table(xlsx(INSTITUTION_HEADINGS, rows), max_rows=10)
    assert table.headings == INSTITUTION_HEADINGS
    assert [n for n, _ in table.rows] == [2, 4]
    assert table.rows[0][1][0] == "南宾街道敬老院"
    assert table.rows[0][1][9] == 120


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(encoding: str) -> None:
    data = csv_bytes(INSTITUTION_HEADINGS, ROWS, encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really not UTF-8: what WPS writes on a Chinese Windows
    table = read_table(data, max_rows=10)
    assert table.headings == INSTITUTION_HEADINGS  # no BOM left on 机构名称
    assert [cells[0] for _, cells in table.rows] == ["南宾街道敬老院", "西沱镇敬老院"]


def test_excel_dates_and_text_dates() -> None:
    data = xlsx(OFFICER_HEADINGS, [officer("谭明", "渝执法1", 发证日期=datetime(2023, 5, 4), 有效期至="2028年5月3日")])
    _, cells = read_table(data, max_rows=10).rows[0]
    issued, expires = (c for c in OFFICER_COLUMNS if c.cell == "date")
    assert issued.convert(cells[4]) == date(2023, 5, 4)
    assert expires.convert(cells[5]) == date(2028, 5, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-05-04", date(2023, 5, 4)),
        ("2023/5/4", date(2023, 5, 4)),
        ("2023.5.4", date(2023, 5, 4)),
        ("2023年5月4日", date(2023, 5, 4)),
        (" 2023 年 5 月 4 日 ", date(2023, 5, 4)),
        (45050, date(2023, 5, 4)),  # the serial number of a date cell formatted as a number
        (datetime(2023, 5, 4, 0, 0), date(2023, 5, 4)),
        ("2023-02-30", "2023-02-30"),  # left as text: the schema then refuses it as no date
        ("去年", "去年"),
    ],
)
def test_date_cells(raw: object, expected: object) -> None:
    assert to_date(raw.strip() if isinstance(raw, str) else raw) == expected


def test_cells_become_the_api_values() -> None:
    columns = {c.heading: c for c in OFFICER_COLUMNS}
    assert columns["证件状态"].convert("暂扣") == "suspended"
    assert columns["证件状态"].convert("revoked") == "revoked"
    assert columns["行政区划代码"].convert(500240.0) == "500240"
    assert columns["姓名"].convert(" \u3000 ") is None
    with pytest.raises(BadChoice, match="有效 / 暂扣 / 吊销"):
        columns["证件状态"].convert("注销了")
    assert heading_of(" 证件状态(有效 / 暂扣 / 吊销) ") == "证件状态"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old .xls"),
        (b"PK\x03\x04 not really a zip", "not a readable XLSX"),
        ("机构名称\n".encode(), "no rows below the headings"),
        (b"", "row 1 holds no headings"),
        (b"\xff\xfe\xfa\xfb\x80", "neither UTF-8 nor GB18030"),
    ],
)
def test_files_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table(data, max_rows=10)
    assert message in caught.value.detail
    assert caught.value.errors and caught.value.errors[0].loc == ["file"]


def test_more_rows_than_the_limit() -> None:
    with pytest.raises(ValidationFailed, match="more than 1 rows"):
        read_table(csv_bytes(INSTITUTION_HEADINGS, ROWS), max_rows=1)


@pytest.mark.parametrize("kind", list(ImportKind))
def test_the_templates_read_back_as_headings_only(kind: ImportKind) -> None:
    for data in (xlsx_template(kind), csv_template(kind)):
        with pytest.raises(ValidationFailed, match="no rows below the headings"):
            read_table(data, max_rows=10)
    assert csv_template(kind).startswith(b"\xef\xbb\xbf")
