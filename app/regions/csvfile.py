"""Reading a regions file in the official list format: `code,name[,parent_code]`, one division per line.

Rules:
- Text is UTF-8 (a BOM is fine) or, failing that, GB18030 (the superset of the GBK that Excel writes on a
  Chinese Windows). Cells are trimmed, full-width spaces included; blank lines are skipped; a first line
  whose code cell is not digits is a heading (代码,名称 / code,name) and is skipped.
- Codes are read in the official padded forms or the short form (app.regions.codes): 500000 and 50 are both
  Chongqing. A missing parent_code is the code one level up.
- Every wrong row is reported (422, `errors[].loc` = ["body", line, column]), at most MAX_ERRORS of them;
  one wrong row and nothing is imported. A code given twice is wrong on its second line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.core.errors import FieldError, ValidationFailed
from app.core.schemas import holds_nul
from app.regions import codes

MAX_ERRORS = 50
NAME_MAX = 100


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    code: str
    name: str
    parent_code: str | None


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field(["body"], "the file is neither UTF-8 nor GB18030 (GBK) text") from exc


def _code(cell: str) -> str | None:
    """The short form of an official or short code cell, or None when it is not a division code."""
    return codes.short_form(cell) if codes.is_level_code(cell) else None


def _row(line: int, cells: list[str]) -> tuple[ImportRow | None, list[FieldError]]:
    if len(cells) not in (2, 3):
        return None, [FieldError(loc=["body", line], msg=f"expected code,name[,parent_code], got {len(cells)} cells")]
    errors = []
    code = _code(cells[0])
    if code is None:
        errors.append(
            FieldError(loc=["body", line, "code"], msg=f"{cells[0]!r}: a division code has 2, 4, 6, 9 or 12 digits")
        )
    name = cells[1]
    if not name or len(name) > NAME_MAX:
        errors.append(FieldError(loc=["body", line, "name"], msg=f"a name has 1 to {NAME_MAX} characters"))
    parent = None
    if len(cells) == 3 and cells[2]:
        parent = _code(cells[2])
        if parent is None:
            errors.append(FieldError(loc=["body", line, "parent_code"], msg=f"{cells[2]!r} is not a division code"))
        elif code is not None and (problem := codes.parent_problem(code, parent)) is not None:
            errors.append(FieldError(loc=["body", line, "parent_code"], msg=problem))
    elif code is not None:
        parent = codes.parent_of(code)
    if errors or code is None:
        return None, errors
    return ImportRow(line, code, name, parent), []


def parse(data: bytes) -> list[ImportRow]:
    """The rows of the file, or a 422 listing its wrong rows."""
    text = decode(data)
    if holds_nul(text):
        raise ValidationFailed.field(["body"], "the file holds a NUL character")
    rows: list[ImportRow] = []
    errors: list[FieldError] = []
    first_line: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for raw in reader:
            cells = [cell.strip() for cell in raw]
            if not any(cells):
                continue  # a blank line
            while len(cells) > 2 and not cells[-1]:
                cells.pop()  # trailing empty cells (Excel writes them for empty columns)
            line = reader.line_num
            if not rows and not errors and not cells[0].isdigit():
                continue  # the heading
            row, wrong = _row(line, cells)
            if row is not None and (earlier := first_line.get(row.code)) is not None:
                wrong = [FieldError(loc=["body", line, "code"], msg=f"{row.code} is also on line {earlier}")]
            if wrong:
                errors += wrong
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            assert row is not None
            first_line[row.code] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append(FieldError(loc=["body", reader.line_num], msg=f"not CSV: {exc}"))
    if errors:
        raise ValidationFailed(
            f"{len(errors)} wrong cell(s), first on line {errors[0].loc[1]}; nothing was imported", errors=errors
        )
    if not rows:
        raise ValidationFailed.field(["body"], "the file holds no rows (expected code,name[,parent_code])")
    return rows
