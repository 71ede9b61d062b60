"""Reading an import file into rows of cells: XLSX (the first sheet) or CSV, told apart by their first bytes.

Rules:
- XLSX is read with openpyxl (values, not formulas); an old binary .xls is refused with a hint to save it as
  .xlsx or CSV. CSV is UTF-8 (a BOM is fine) or GB18030, what WPS and Excel write on a Chinese Windows
  (the regions import's rule, app.regions.csvfile.decode).
- Row numbers are the spreadsheet's: the heading is row 1. Blank rows are skipped (not counted).
- More than `max_rows` data rows is refused (422) before any row is validated; at most MAX_COLUMNS columns
  are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile

from app.core.errors import PayloadTooLarge, ValidationFailed
from app.core.schemas import holds_nul
from app.imports.columns import BLANK
from app.regions.csvfile import decode

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .et) of Excel 97–2003
MAX_COLUMNS = 50
FILE = ["file"]


@dataclass(frozen=True, slots=True)
class Table:
    headings: list[Any]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip(BLANK))


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported on use: only imports need it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged zip or a zip that is no workbook: openpyxl raises many kinds
        raise ValidationFailed.field(FILE, f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True):
            yield list(values)
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = decode(data)
    except ValidationFailed as exc:
        raise ValidationFailed.field(FILE, "the file is neither UTF-8 nor GB18030 (GBK) text") from exc
    if holds_nul(text):
        raise ValidationFailed.field(FILE, "the file holds a NUL character")
    try:
        for cells in csv.reader(io.StringIO(text, newline="")):
            yield cells[:MAX_COLUMNS]
    except csv.Error as exc:
        raise ValidationFailed.field(FILE, f"not CSV: {exc}") from exc


def _trimmed(cells: list[Any]) -> list[Any]:
    while cells and _blank(cells[-1]):
        cells.pop()
    return cells


def _table(rows: Iterable[list[Any]], max_rows: int) -> Table:
    found = (_trimmed(cells) for cells in rows)
    headings = next(found, None)
    if not headings:
        raise ValidationFailed.field(FILE, "row 1 holds no headings")
    data: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(found, start=2):
        if not cells:
            continue
        if len(data) == max_rows:
            raise ValidationFailed.field(FILE, f"more than {max_rows} rows; split the file")
        data.append((number, cells))
    if not data:
        raise ValidationFailed.field(FILE, "the file holds no rows below the headings")
    return Table(headings, data)


def read_table(data: bytes, max_rows: int) -> Table:
    """The headings (row 1) and the non-blank rows of an XLSX or CSV file, or a 422 on `file`."""
    if data.startswith(OLE_MAGIC):
        raise ValidationFailed.field(FILE, "an old .xls workbook: save it as .xlsx or CSV")
    if data.startswith(XLSX_MAGIC):
        return _table(_xlsx_rows(data), max_rows)
    return _table(_csv_rows(data), max_rows)


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes; 413 when it is larger than `max_bytes`."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the file is larger than {max_bytes / 1024 / 1024:g} MB; split it")
    return data
