"""The empty import templates (下载模板): the headings of row 1, nothing else to delete before importing.

Rules:
- XLSX: sheet 1 holds the headings (bold, frozen, each column wide enough), a drop-down of the labels on every
  choice column, code-like and text columns formatted as text (so 0-leading codes stay as typed), date columns
  as dates; sheet 2 (`填写说明`) lists each column, whether it is required, its choices and a note.
- CSV: UTF-8 with a BOM (Excel and WPS then open it as UTF-8), the headings only.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import xlsxwriter

from app.imports.columns import COLUMNS
from app.imports.schemas import ImportKind

SHEET_TITLE = {ImportKind.institutions: "机构名录", ImportKind.officers: "执法人员名单"}
DATA_ROWS = 5000  # rows given the drop-downs and formats


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(kind: ImportKind, fmt: str) -> str:
    return f"{SHEET_TITLE[kind]}导入模板.{fmt}"


def download(kind: ImportKind, fmt: str) -> tuple[bytes, str, dict[str, str]]:
    """(body, media type, headers) of the template as a download: `fmt` is xlsx or csv."""
    body = csv_template(kind) if fmt == "csv" else xlsx_template(kind)
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    name = quote(filename(kind, fmt))
    disposition = f"attachment; filename=\"{kind.value}-template.{fmt}\"; filename*=UTF-8''{name}"
    return body, media_type, {"Content-Disposition": disposition}


def csv_template(kind: ImportKind) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.heading for c in COLUMNS[kind]])
    return out.getvalue().encode("utf-8-sig")


def xlsx_template(kind: ImportKind) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    heading = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(SHEET_TITLE[kind])
    for index, column in enumerate(COLUMNS[kind]):
        width = max(12, 2 * len(column.heading) + 4)
        fmt = day if column.cell == "date" else None if column.cell == "int" else text
        sheet.set_column(index, index, width, fmt)
        sheet.write(0, index, column.heading, heading)
        if column.choices:
            sheet.data_validation(
                1, index, DATA_ROWS, index, {"validate": "list", "source": list(column.choices), "ignore_blank": True}
            )
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 3, 40)
    for col, title in enumerate(("列名", "必填", "可选值", "说明")):
        notes.write(0, col, title, heading)
    for row, column in enumerate(COLUMNS[kind], start=1):
        notes.write_row(
            row, 0, [column.heading, "是" if column.required else "", " / ".join(column.choices), column.note]
        )
    book.close()
    return out.getvalue()
