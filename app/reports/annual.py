"""The enforcement-inspection paragraph of the annual rule-of-law report (法治政府建设情况报告), as text and DOCX.

Wording is the report's own (API.md), one sentence per line:
  {殡葬 unit}集中排查{area}殡葬机构{家}家,累计检查{次}次,排查出问题{起}起,整改{起}起,整改率{rate}。
  {养老 unit}集中排查{area}养老机构{家}家,累计检查{次}次,排查隐患{起}起,整改{起}起,整改率{rate}。
  目前有持证执法人员{人}人。
The rate is printed whole (`100%`) when whole, else with one decimal (`96.5%`, rounded half up, never shown
as 100.0% unless every hazard was rectified), and `—` when nothing was found.

The DOCX follows GB/T 9704-2012 (app.reports.official): A4, margins 37/35/28/26 mm, title 方正小标宋简体 二号
(22 pt) centred, body 仿宋_GB2312 三号 (16 pt) at a fixed 28 pt line spacing, headings 黑体; East Asian font
names are set explicitly (w:eastAsia) so Word and WPS pick them on the reader's machine. It has page numbers
in the footer, a figures table with one row per kind and a 合计 row (counters summed, the rate recomputed
from the sums), and ends with the issuing unit (REPORT_ISSUER) and the as_of date (落款).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from app.core.config import Settings
from app.institutions.models import InstitutionKind
from app.reports import official
from app.reports.schemas import Counters, KindCounters, SummaryRead

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
KIND_ROWS = ((InstitutionKind.funeral, "殡葬机构"), (InstitutionKind.elderly_care, "养老机构"))


@dataclass(frozen=True, slots=True)
class Wording:
    funeral_unit: str
    elderly_care_unit: str
    area: str
    issuer: str  # the issuing unit of the DOCX (落款)

    @classmethod
    def from_settings(cls, settings: Settings) -> Wording:
        """The units, area and issuer configured for this bureau (REPORT_* settings)."""
        funeral, elderly_care = settings.REPORT_UNIT_FUNERAL, settings.REPORT_UNIT_ELDERLY_CARE
        return cls(funeral, elderly_care, settings.REPORT_AREA, settings.REPORT_ISSUER)


def format_rate(rectified: int, found: int) -> str:
    if found == 0:
        return "—"
    if (rectified * 100) % found == 0:
        return f"{rectified * 100 // found}%"
    value = (Decimal(rectified) * 100 / Decimal(found)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if value >= 100:
        value = Decimal("99.9")
    return f"{value}%"


def _kind(summary: SummaryRead, kind: InstitutionKind) -> KindCounters:
    return next(k for k in summary.kinds if k.kind == kind)


def paragraph_lines(summary: SummaryRead, wording: Wording) -> list[str]:
    f = _kind(summary, InstitutionKind.funeral)
    e = _kind(summary, InstitutionKind.elderly_care)
    return [
        f"{wording.funeral_unit}集中排查{wording.area}殡葬机构{f.institutions_inspected}家,"
        f"累计检查{f.inspections}次,排查出问题{f.hazards_found}起,整改{f.hazards_rectified}起,"
        f"整改率{format_rate(f.hazards_rectified, f.hazards_found)}。",
        f"{wording.elderly_care_unit}集中排查{wording.area}养老机构{e.institutions_inspected}家,"
        f"累计检查{e.inspections}次,排查隐患{e.hazards_found}起,整改{e.hazards_rectified}起,"
        f"整改率{format_rate(e.hazards_rectified, e.hazards_found)}。",
        f"目前有持证执法人员{summary.officers_certified}人。",
    ]


def annual_text(summary: SummaryRead, wording: Wording) -> str:
    return "\n".join(paragraph_lines(summary, wording)) + "\n"


TABLE_HEADINGS = (
    "机构类型",
    "检查机构(家)",
    "检查(次)",
    "排查隐患(起)",
    "整改(起)",
    "整改率",
    "重大隐患(起)",
    "逾期未改(起)",
)


def _table_row(label: str, k: Counters) -> tuple[object, ...]:
    return (
        label,
        k.institutions_inspected,
        k.inspections,
        k.hazards_found,
        k.hazards_rectified,
        format_rate(k.hazards_rectified, k.hazards_found),
        k.major_hazards,
        k.hazards_overdue,
    )


def _total(kinds: list[Counters]) -> Counters:
    """The 合计 row: every counter summed over both kinds; the rate recomputed from the sums."""

    def add(name: str) -> int:
        return sum(getattr(k, name) or 0 for k in kinds)

    found, rectified = add("hazards_found"), add("hazards_rectified")
    return Counters(
        institutions_total=add("institutions_total"),
        institutions_inspected=add("institutions_inspected"),
        inspections=add("inspections"),
        hazards_found=found,
        hazards_rectified=rectified,
        rectification_rate=rectified / found if found else None,
        hazards_overdue=add("hazards_overdue"),
        major_hazards=add("major_hazards"),
        escalations_open=add("escalations_open"),
        follow_ups_due=add("follow_ups_due"),
    )


def annual_docx(summary: SummaryRead, wording: Wording, year: int) -> bytes:
    doc = Document()
    official.page_setup(doc)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(28)
    official.set_font(title.add_run(f"{year}年民政执法检查情况"), TITLE_FONT, 22)
    official.body_paragraph(doc, "一、执法检查情况", indent=True, font=HEADING_FONT)
    for line in paragraph_lines(summary, wording):
        official.body_paragraph(doc, line)
    official.body_paragraph(doc, "二、数据明细", indent=True, font=HEADING_FONT)

    table = doc.add_table(rows=1, cols=len(TABLE_HEADINGS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(table.rows[0].cells, TABLE_HEADINGS, strict=True):
        official.set_font(cell.paragraphs[0].add_run(heading), HEADING_FONT, 10.5)
    rows: list[tuple[str, Counters]] = [(label, _kind(summary, kind)) for kind, label in KIND_ROWS]
    rows.append(("合计", _total([k for _, k in rows])))
    for label, counters in rows:
        font = HEADING_FONT if label == "合计" else official.BODY_FONT
        for cell, value in zip(table.add_row().cells, _table_row(label, counters), strict=True):
            official.set_font(cell.paragraphs[0].add_run(str(value)), font, 10.5)
    official.body_paragraph(doc, f"持证执法人员{summary.officers_certified}人(截至{summary.as_of.isoformat()})。")
    official.signature_block(doc, wording.issuer, summary.as_of)
    return official.saved(doc, summary.as_of)
