"""Layout of official documents (党政机关公文格式, GB/T 9704-2012) for the DOCX reports.

Rules:
- A4, margins 37/35/28/26 mm (top, bottom, left, right); body 仿宋_GB2312 三号 (16 pt) at a fixed 28 pt line
  spacing; East Asian font names set explicitly (w:eastAsia) so Word and WPS use them on the reader's machine.
- Page numbers (7.5): 四号 (14 pt) 宋体, an em dash on either side (`— 1 —`), odd pages at the right and even
  pages at the left, one character in from the edge of the text block. The number is a PAGE field, so Word and
  WPS count the pages themselves.
- Signature block without a seal (7.3.5.3): one blank line under the text, the issuing unit right-indented two
  characters, the date on the next line with its first character two characters right of the unit's first;
  when the date is longer, the unit moves left so that the date keeps two characters of right indent. The
  date is written in full with Arabic numerals, no leading zeros (`2023年12月31日`).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

BODY_FONT = "仿宋_GB2312"
PAGE_NUMBER_FONT = "宋体"
BODY_SIZE = 16.0  # 三号
PAGE_NUMBER_SIZE = 14.0  # 四号
EM = BODY_SIZE  # one character of body text, in points


def set_font(run: Run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attr), name)


def page_setup(doc: DocxDocument) -> None:
    """A4, the standard's margins, the body font as the Normal style, and the page-number footers."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(23)  # the number's top about 7 mm below the text block
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> Run:
    """A complex field (w:fldChar begin / instrText / separate / result / end) in one run sequence."""
    runs = [paragraph.add_run() for _ in range(5)]
    for run, kind in ((runs[0], "begin"), (runs[2], "separate"), (runs[4], "end")):
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._element.append(char)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    runs[1]._element.append(instr)
    runs[3].text = placeholder
    for run in runs:
        set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    return runs[3]


def _page_number(paragraph: Paragraph, alignment: WD_ALIGN_PARAGRAPH) -> None:
    paragraph.alignment = alignment
    inset = Pt(PAGE_NUMBER_SIZE)  # one character in from the text block's edge
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = inset
    else:
        paragraph.paragraph_format.left_indent = inset
    set_font(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _field(paragraph, "PAGE", "1")
    set_font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def body_paragraph(doc: DocxDocument, text: str, *, indent: bool = True, font: str = BODY_FONT) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(2 * EM)
    set_font(p.add_run(text), font, BODY_SIZE)
    return p


def chinese_date(day: date) -> str:
    """`2023年12月31日`: the year in full, month and day without leading zeros (GB/T 9704-2012 7.3.5.1)."""
    return f"{day.year}年{day.month}月{day.day}日"


def text_width(text: str) -> float:
    """Printed width in body characters: ASCII (digits) is half width, everything else full width."""
    return sum(0.5 if ord(ch) < 128 else 1.0 for ch in text)


def signature_block(doc: DocxDocument, issuer: str, day: date) -> tuple[Paragraph, Paragraph]:
    """The issuing unit and the date (落款), laid out as the module docstring says."""
    dated = chinese_date(day)
    unit_width, date_width = text_width(issuer), text_width(dated)
    unit_right = max(2.0, 4.0 + date_width - unit_width)  # right indents, in characters
    date_right = unit_right + unit_width - date_width - 2.0
    body_paragraph(doc, "", indent=False)  # one blank line under the text
    placed = []
    for text, right in ((issuer, unit_right), (dated, date_right)):
        p = body_paragraph(doc, text, indent=False)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(right * EM)
        placed.append(p)
    return placed[0], placed[1]


def saved(doc: DocxDocument, day: date) -> bytes:
    """The document's bytes, the same for the same content: its core properties dated `day` and every zip entry
    stamped `day` at midnight (python-docx stamps them with the current time, so two downloads of one report
    would differ, and a byte-for-byte comparison with the API's file would depend on the second it was made)."""
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC)
    doc.core_properties.created = stamp
    doc.core_properties.modified = stamp
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=(max(day.year, 1980), day.month, day.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(item))
    return out.getvalue()
