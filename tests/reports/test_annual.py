"""GET /reports/annual: the report's wording, computed from the data — above all from the 2023 demo set."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date

import httpx
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy import func, select

from app.db.session import Database
from app.demo import DEMO_ADMIN, seed_demo
from app.hazards.models import Hazard, HazardHistory
from app.inspections.models import Inspection
from app.reports import official
from app.reports.annual import format_rate
from tests.conftest import Actor
from tests.hazards.helpers import stored_regions
from tests.reports.conftest import Crafted

URL = "/api/v1/reports/annual"
REPORT_2023 = (
    "殡葬事务中心集中排查全县殡葬机构8家,累计检查56次,排查出问题32起,整改32起,整改率100%。\n"
    "社会福利中心集中排查全县养老机构27家,累计检查111次,排查隐患141起,整改141起,整改率100%。\n"
    "目前有持证执法人员17人。\n"
)


async def _fingerprint(db: Database) -> tuple[int, ...]:
    async with db.read_session() as s:
        return (
            await s.scalar(select(func.count()).select_from(Inspection)) or 0,
            await s.scalar(select(func.count()).select_from(Hazard)) or 0,
            await s.scalar(select(func.count()).select_from(HazardHistory)) or 0,
            int((await s.scalar(select(func.max(Hazard.version)))) or 0),
        )


async def test_demo_reproduces_the_2023_report(client: httpx.AsyncClient, clean_db: Database) -> None:
    report = await seed_demo(clean_db, "demo-password-1")
    assert (report.institutions, report.inspections, report.hazards) == (35, 167, 173)
    assert len(await stored_regions(clean_db)) == 173  # each with its institution's region
    token = await client.post("/api/v1/auth/token", data={"username": DEMO_ADMIN, "password": "demo-password-1"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    r = await client.get(URL, params={"year": 2023}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == REPORT_2023
    county = await client.get("/api/v1/regions/500240", headers=headers)
    assert county.json()["name"] == "石柱土家族自治县"  # seed-demo names the county and its townships

    summary = (
        await client.get("/api/v1/reports/summary", params={"from": "2023-01-01", "to": "2023-12-31"}, headers=headers)
    ).json()
    figures = {
        k["kind"]: (
            k["institutions_inspected"],
            k["inspections"],
            k["hazards_found"],
            k["hazards_rectified"],
            k["rectification_rate"],
        )
        for k in summary["kinds"]
    }
    assert figures == {"funeral": (8, 56, 32, 32, 1.0), "elderly_care": (27, 111, 141, 141, 1.0)}
    assert (summary["officers_certified"], summary["officers_total"]) == (17, 20)

    before = await _fingerprint(clean_db)
    again = await seed_demo(clean_db, "another-password")
    assert not again.admin_created
    assert await _fingerprint(clean_db) == before, "a second seed-demo must change nothing"

    # The figures are computed, not stored: one more open hazard moves the rate below 100%.
    inspections = (
        await client.get("/api/v1/inspections", params={"kind": "elderly_care", "limit": 1}, headers=headers)
    ).json()["items"]
    r = await client.post(
        f"/api/v1/inspections/{inspections[0]['id']}/hazards",
        headers=headers,
        json={"category": "fire_safety", "severity": "general", "description": "灭火器过期"},
    )
    assert r.status_code == 201, r.text
    lines = (await client.get(URL, params={"year": 2023}, headers=headers)).text.splitlines()
    assert lines[1] == "社会福利中心集中排查全县养老机构27家,累计检查111次,排查隐患142起,整改141起,整改率99.3%。"
    assert lines[0] == REPORT_2023.splitlines()[0]


async def test_nothing_found_prints_a_dash(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(URL, params={"year": 2021}, headers=admin.headers)
    assert r.text.splitlines() == [
        "殡葬事务中心集中排查全县殡葬机构0家,累计检查0次,排查出问题0起,整改0起,整改率—。",
        "社会福利中心集中排查全县养老机构0家,累计检查0次,排查隐患0起,整改0起,整改率—。",
        "目前有持证执法人员0人。",
    ]


async def test_docx_has_title_paragraph_and_table(client: httpx.AsyncClient, crafted: Crafted) -> None:
    asks: list[tuple[dict[str, str | int], dict[str, str]]] = [
        ({"year": 2023, "format": "docx"}, {}),
        ({"year": 2023}, {"Accept": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    ]
    for params, extra in asks:
        r = await client.get(URL, params=params, headers={**crafted.admin.headers, **extra})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
        assert "attachment" in r.headers["content-disposition"]
        doc = Document(io.BytesIO(r.content))
        texts = [p.text for p in doc.paragraphs]
        assert texts[0] == "2023年民政执法检查情况"
        assert "殡葬事务中心集中排查全县殡葬机构2家,累计检查2次,排查出问题2起,整改1起,整改率50%。" in texts
        title_run = doc.paragraphs[0].runs[0]
        assert title_run.font.size is not None and title_run.font.size.pt == 22
        r_pr = title_run._element.rPr
        assert r_pr is not None and r_pr.rFonts is not None
        assert r_pr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == (
            "方正小标宋简体"
        )
        section = doc.sections[0]
        assert section.top_margin is not None and section.left_margin is not None
        assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
        table = doc.tables[0]
        assert [c.text for c in table.rows[0].cells][:3] == ["机构类型", "检查机构(家)", "检查(次)"]
        assert [c.text for c in table.rows[1].cells][:6] == ["殡葬机构", "2", "2", "2", "1", "50%"]


@pytest.mark.parametrize(
    ("rectified", "found", "printed"),
    [
        (32, 32, "100%"),
        (0, 0, "—"),
        (0, 5, "0%"),
        (1, 2, "50%"),
        (141, 142, "99.3%"),
        (193, 200, "96.5%"),
        (1, 3, "33.3%"),
        (2, 3, "66.7%"),
        (2499, 2500, "99.9%"),
        (19999, 20000, "99.9%"),
    ],
)
def test_rate_wording(rectified: int, found: int, printed: str) -> None:
    assert format_rate(rectified, found) == printed


@pytest.mark.parametrize("year", ["1999", "2101", "twenty", ""])
async def test_bad_year_is_422(client: httpx.AsyncClient, admin: Actor, year: str) -> None:
    r = await client.get(URL, params={"year": year}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "year"]


async def test_annual_needs_credentials(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL, params={"year": 2023})).status_code == 401


W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


async def test_docx_has_total_row_signature_and_page_numbers(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(URL, params={"year": 2023, "format": "docx"}, headers=crafted.admin.headers)
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[1:] == [
        ["殡葬机构", "2", "2", "2", "1", "50%", "0", "1"],  # h1 h3 (h2 voided); h3 overdue
        ["养老机构", "2", "3", "4", "1", "25%", "1", "1"],  # E1 EB; h4 h5 h6 h8; h8 rectified; h4 major, overdue
        ["合计", "4", "5", "6", "2", "33.3%", "1", "2"],
    ]

    # 落款: the issuing unit, then the as_of date in Chinese, right-aligned, under one blank line.
    texts = [p.text for p in doc.paragraphs]
    assert texts[-3:] == ["", "石柱土家族自治县民政局", "2023年12月31日"]
    unit, dated = doc.paragraphs[-2], doc.paragraphs[-1]
    assert unit.alignment == WD_ALIGN_PARAGRAPH.RIGHT and dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert unit.paragraph_format.right_indent is not None and dated.paragraph_format.right_indent is not None
    assert unit.paragraph_format.right_indent.pt == 32  # two characters of 三号
    assert dated.paragraph_format.right_indent.pt == 64  # its first character two right of the unit's first
    r_pr = dated.runs[0]._element.rPr
    assert r_pr is not None and r_pr.rFonts is not None
    assert r_pr.rFonts.get(f"{W_NS}eastAsia") == "仿宋_GB2312"
    assert dated.runs[0].font.size == Pt(16)

    # Page numbers: a PAGE field in the odd and the even footer, `— n —`, outer side.
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    footers = ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT))
    for footer, alignment in footers:
        paragraph = footer.paragraphs[0]
        assert paragraph.text == "— 1 —"
        assert [t.text.strip() for t in paragraph._element.iter(f"{W_NS}instrText")] == ["PAGE"]
        kinds = [c.get(f"{W_NS}fldCharType") for c in paragraph._element.iter(f"{W_NS}fldChar")]
        assert kinds == ["begin", "separate", "end"]
        assert paragraph.alignment == alignment  # odd pages at the right, even pages at the left
    # The GB/T 9704 page is kept.
    assert section.bottom_margin is not None and section.right_margin is not None
    assert round(section.bottom_margin.mm) == 35 and round(section.right_margin.mm) == 26
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


async def test_docx_issuer_is_a_setting(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clean_db.settings, "REPORT_ISSUER", "重庆市民政局")
    r = await client.get(URL, params={"year": 2021, "format": "docx"}, headers=admin.headers)
    texts = [p.text for p in Document(io.BytesIO(r.content)).paragraphs]
    assert texts[-2:] == ["重庆市民政局", "2021年12月31日"]


@pytest.mark.parametrize(
    ("issuer", "unit_right", "date_right"),
    [
        ("石柱土家族自治县民政局", 2, 4),  # the unit is longer: it keeps 2, the date starts 2 further right
        ("民政局", 8, 2),  # the date is longer: it keeps 2, the unit moves left
    ],
)
def test_signature_block_indents(issuer: str, unit_right: float, date_right: float) -> None:
    doc = Document()
    unit, dated = official.signature_block(doc, issuer, date(2023, 12, 31))  # the date is 7 characters wide
    assert (unit.text, dated.text) == (issuer, "2023年12月31日")
    assert unit.paragraph_format.right_indent is not None and dated.paragraph_format.right_indent is not None
    assert unit.paragraph_format.right_indent.pt == unit_right * 16  # in characters of 三号 (16 pt)
    assert dated.paragraph_format.right_indent.pt == date_right * 16
    assert official.chinese_date(date(2024, 1, 5)) == "2024年1月5日"  # no leading zeros


async def test_the_same_report_is_the_same_file(
    client: httpx.AsyncClient, crafted: Crafted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two downloads made at different times are byte for byte equal (zip entries and core properties dated as_of)."""
    params: dict[str, str | int] = {"year": 2023, "format": "docx"}
    first = await client.get(URL, params=params, headers=crafted.admin.headers)
    later = time.localtime(time.time() + 3600)
    monkeypatch.setattr(time, "localtime", lambda *_: later)  # what zipfile's stamps of python-docx's parts read
    second = await client.get(URL, params=params, headers=crafted.admin.headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    with zipfile.ZipFile(io.BytesIO(first.content)) as docx:
        assert {info.date_time[:3] for info in docx.infolist()} == {(2023, 12, 31)}
    assert Document(io.BytesIO(first.content)).core_properties.modified.date() == date(2023, 12, 31)
