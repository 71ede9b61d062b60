"""Writing the ledger into a file (`app.exports.spool` sends it): CSV partition by partition, XLSX in
xlsxwriter's constant-memory mode.

Rules:
- One row per hazard, voided ones included (status 已作废), with the headings of the bureau's ledger; the
  last column, 行政区划, is the institution's region by its name in the regions register (else its code).
- Memory does not grow with the row count: rows come from a server-side cursor in partitions, and each
  partition is written out before the next is fetched.
- CSV is UTF-8 with a BOM so Excel opens it. A free-text cell (institution, township, officers, description)
  that starts with = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it as text instead of
  running it as a formula (CSV injection, OWASP). XLSX needs no such care: its cells are written as strings.
- XLSX has a title row merged across the columns, a frozen and filtered header row, real
  date cells and widths that fit Chinese text. An XLSX holds at most 1,048,576 rows: beyond, the sheet
  ends with a note pointing to the CSV.
- XLSX prints as the paper ledger: landscape A4, fit to one page wide (as many pages tall as it takes),
  the title and header rows repeated on every page, `第 N 页 共 M 页` centred in the footer, and the print
  area set to the ledger itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import IO, Any

import anyio
import xlsxwriter
from sqlalchemy import text

from app.core import clock
from app.core.clock import LOCAL_TZ
from app.core.pagination import AnySelect
from app.db.session import Database
from app.hazards.models import ESCALATION_LABELS
from app.regions import queries as region_queries
from app.reports import labels

HEADINGS = (
    "序号",
    "机构名称",
    "机构类型",
    "乡镇",
    "检查日期",
    "检查人员",
    "隐患类别",
    "隐患等级",
    "隐患描述",
    "整改期限",
    "整改状态",
    "整改日期",
    "验收日期",
    "是否逾期",
    "行政区划",  # added last: columns are never renamed or moved (scripts read them by position)
    "督办级别",  # the highest open escalation level (催办 / 督办 / 约谈 / 挂牌督办), empty without one
)
WIDTHS = (6, 30, 10, 12, 12, 20, 10, 8, 50, 12, 10, 12, 12, 8, 18, 10)
DATE_COLUMNS = (4, 9, 11, 12)
PARTITION = 2000
TEXT_CELLS = (1, 3, 5, 8, 14)  # positions in ledger_cells of the free-text cells
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_DATA_ROWS = 1_048_576 - 3  # title row, header row, a closing note
PAPER_A4 = 9  # Excel's paper size code
FOOTER = "&C第 &P 页 共 &N 页"


def ledger_cells(number: int, row: Any) -> list[Any]:
    """One ledger row: Chinese labels, dates as `date` objects (the CSV writer prints them ISO, None as empty).

    Rule: `row` has the columns of `queries.ledger_statement`, in that order (unpacked by position: attribute
    access per cell was a third of the export's Python time)."""
    (
        name,
        kind,
        township,
        found_on,
        officers,
        category,
        severity,
        description,
        due_on,
        status,
        rectified_on,
        verified_on,
        overdue,
        region,
        escalation,
    ) = row
    return [
        number,
        name,
        labels.KIND.get(kind, kind),
        township or "",
        found_on,
        officers or "",
        labels.CATEGORY.get(category, category),
        labels.SEVERITY.get(severity, severity),
        description,
        due_on,
        labels.STATUS.get(status, status),
        rectified_on,
        verified_on,
        "是" if overdue else "否",
        region,
        ESCALATION_LABELS.get(escalation, escalation) if escalation else "",
    ]


async def _partitions(db: Database, stmt: AnySelect) -> AsyncIterator[Sequence[Any]]:
    """The ledger's rows, partition by partition, from a server-side cursor in a transaction of its own.

    PostgreSQL: without JIT (`SET LOCAL jit = off`). Planned for its values (app.db.session, plan_cache_mode), a
    county ledger's cost estimate passes `jit_above_cost` (its per-row subqueries) and compiling took longer than
    the query: 853 ms with JIT, 322 ms without, on the 1,000,000-hazard bench data (bench/README.md, point 8)."""
    async with db.read_session() as session:
        if not db.is_sqlite:
            await session.execute(text("SET LOCAL jit = off"))
        result = await session.stream(stmt.execution_options(yield_per=PARTITION))
        async for partition in result.partitions(PARTITION):
            yield partition


def _csv_rows(writer: Any, buffer: io.StringIO, first: int, partition: Sequence[Any]) -> bytes:
    """One partition of ledger rows, numbered from `first`, as encoded CSV."""
    buffer.seek(0)
    buffer.truncate()
    for number, row in enumerate(partition, start=first):
        cells = ledger_cells(number, row)
        for i in TEXT_CELLS:
            if cells[i].startswith(FORMULA_START):
                cells[i] = "'" + cells[i]
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


async def write_csv(db: Database, stmt: AnySelect, out: IO[bytes]) -> None:
    """The CSV ledger into `out`, partition by partition (formatted in a worker thread, so the event loop
    keeps serving other requests meanwhile)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    out.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    number = 1
    async for partition in _partitions(db, stmt):
        chunk = await anyio.to_thread.run_sync(_csv_rows, writer, buffer, number, partition)
        number += len(partition)
        await anyio.to_thread.run_sync(out.write, chunk)


class _Sheet:
    """An xlsxwriter workbook in constant-memory mode, written row by row from worker threads."""

    def __init__(self, out: IO[bytes], title: str) -> None:
        self.workbook = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.sheet = self.workbook.add_worksheet("隐患台账")
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd", "align": "center"})
        self.text_format = self.workbook.add_format({"text_wrap": False, "valign": "top"})
        title_format = self.workbook.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        header_format = self.workbook.add_format(
            {"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center", "valign": "vcenter"}
        )
        for column, width in enumerate(WIDTHS):
            self.sheet.set_column(column, column, width)
        # Constant-memory mode writes rows in order: the merge of row 0 comes before any other row.
        self.sheet.merge_range(0, 0, 0, len(HEADINGS) - 1, title, title_format)
        for column, heading in enumerate(HEADINGS):
            self.sheet.write_string(1, column, heading, header_format)
        self.sheet.freeze_panes(2, 0)
        self._page_setup()
        self.rows = 0

    def _page_setup(self) -> None:
        self.sheet.set_landscape()
        self.sheet.set_paper(PAPER_A4)
        self.sheet.fit_to_pages(1, 0)  # one page wide, as tall as needed
        self.sheet.repeat_rows(0, 1)  # title and header rows on every printed page
        self.sheet.set_footer(FOOTER)
        self.sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)

    def write(self, partition: Sequence[Any]) -> None:
        for row in partition:
            if self.rows >= XLSX_MAX_DATA_ROWS:
                return
            self.rows += 1
            cells = ledger_cells(self.rows, row)
            r = self.rows + 1
            for column, value in enumerate(cells):
                if value is None:
                    continue
                if column in DATE_COLUMNS:
                    self.sheet.write_datetime(r, column, datetime(value.year, value.month, value.day), self.date_format)
                elif isinstance(value, int):
                    self.sheet.write_number(r, column, value)
                else:
                    self.sheet.write_string(r, column, value)

    def close(self, truncated: bool) -> None:
        last = max(self.rows + 1, 1)
        self.sheet.autofilter(1, 0, last, len(HEADINGS) - 1)
        if truncated:
            self.sheet.write_string(last + 1, 0, "行数超过 Excel 上限,其余记录请用 CSV 导出")
        self.sheet.print_area(0, 0, last + 1 if truncated else last, len(HEADINGS) - 1)
        self.workbook.close()


async def ledger_title(db: Database, region_code: str, found_from: date | None, found_to: date | None) -> str:
    """The title row; the region by its register name and code (`石柱土家族自治县(500240)`), or the code alone."""
    async with db.read_session() as session:
        region = await region_queries.label(session, region_code) or "全部地区"
    period = f"{found_from.isoformat() if found_from else '…'} 至 {found_to.isoformat() if found_to else '…'}"
    exported = clock.now().astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return f"隐患台账  地区:{region}  检查日期:{period}  导出时间:{exported}"


async def write_xlsx(db: Database, stmt: AnySelect, title: str, out: IO[bytes]) -> None:
    """The XLSX ledger into `out` (xlsxwriter's work runs in worker threads)."""
    sheet = await anyio.to_thread.run_sync(_Sheet, out, title)
    total = 0
    async for partition in _partitions(db, stmt):
        total += len(partition)
        await anyio.to_thread.run_sync(sheet.write, partition)
    await anyio.to_thread.run_sync(sheet.close, total > XLSX_MAX_DATA_ROWS)
