"""GET /exports/hazards.csv and .xlsx: the hazard ledger (隐患台账), on the crafted data set."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
import openpyxl

from app.auth.models import Role
from app.exports.service import HEADINGS
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.reports.conftest import Crafted

CSV_URL = "/api/v1/exports/hazards.csv"
XLSX_URL = "/api/v1/exports/hazards.xlsx"
EXPECTED_HEADINGS = [
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
    "行政区划",
    "督办级别",
]


def parse_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM so Excel opens it"
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))


async def test_csv_has_one_row_per_hazard_including_voided(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(CSV_URL, headers=crafted.admin.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"]
    assert list(HEADINGS) == EXPECTED_HEADINGS
    rows = parse_csv(r.content)
    assert list(rows[0]) == EXPECTED_HEADINGS
    assert len(rows) == 9  # h1…h9, h2 voided included
    assert [row["序号"] for row in rows] == [str(i) for i in range(1, 10)]
    assert [row["检查日期"] for row in rows] == sorted(row["检查日期"] for row in rows)
    by_status = [row["整改状态"] for row in rows]
    assert by_status.count("已作废") == 1 and by_status.count("已销号") == 1
    first_2023 = next(row for row in rows if row["检查日期"] == "2023-03-01" and row["隐患等级"] == "一般")
    assert (
        first_2023["机构名称"],
        first_2023["机构类型"],
        first_2023["整改期限"],
        first_2023["整改日期"],
        first_2023["验收日期"],
        first_2023["是否逾期"],
    ) == ("F1", "殡葬机构", "2023-03-15", "2023-03-10", "2023-03-12", "否")
    assert first_2023["检查人员"].count("、") == 1  # two officers, in the order submitted
    h3 = next(row for row in rows if row["机构名称"] == "F2")
    assert (h3["整改状态"], h3["是否逾期"]) == ("待整改", "是")


async def test_csv_takes_the_hazard_list_filters(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(CSV_URL, params={"status": "voided"}, headers=crafted.admin.headers)
    assert [row["隐患等级"] for row in parse_csv(r.content)] == ["重大"]
    r = await client.get(
        CSV_URL,
        params={
            "found_from": "2023-01-01",
            "found_to": "2023-12-31",
            "region_code": OWN_REGION,
            "kind": "elderly_care",
        },
        headers=crafted.admin.headers,
    )
    assert len(parse_csv(r.content)) == 3  # h4 h5 h6


async def test_exports_take_the_due_filters(client: httpx.AsyncClient, crafted: Crafted) -> None:
    everything = parse_csv((await client.get(CSV_URL, headers=crafted.admin.headers)).content)
    bounds = {"due_from": "2023-03-15", "due_to": "2023-06-30"}
    expected = sorted(
        r["整改期限"] for r in everything if r["整改期限"] and "2023-03-15" <= r["整改期限"] <= "2023-06-30"
    )
    assert expected, "the crafted ledger has due dates in the window"
    r = await client.get(CSV_URL, params=bounds, headers=crafted.admin.headers)
    assert sorted(row["整改期限"] for row in parse_csv(r.content)) == expected
    xlsx = await client.get(XLSX_URL, params=bounds, headers=crafted.admin.headers)
    assert xlsx.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len([row for row in rows if isinstance(row[0], int)]) == len(expected)
    for url in (CSV_URL, XLSX_URL):
        bad = await client.get(url, params={"due_to": "2023-02-30"}, headers=crafted.admin.headers)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["query", "due_to"]


async def test_region_scoping(client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory) -> None:
    viewer = await make_actor(Role.viewer, OTHER_REGION)
    rows = parse_csv((await client.get(CSV_URL, headers=viewer.headers)).content)
    assert [row["机构名称"] for row in rows] == ["EB"]
    for url in (CSV_URL, XLSX_URL):
        r = await client.get(url, params={"region_code": OWN_REGION}, headers=viewer.headers)
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"


async def test_exports_need_credentials_and_valid_filters(client: httpx.AsyncClient, crafted: Crafted) -> None:
    for url in (CSV_URL, XLSX_URL):
        assert (await client.get(url)).status_code == 401
        r = await client.get(url, params={"status": "lost"}, headers=crafted.admin.headers)
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["query", "status"]


async def test_xlsx_opens_with_headings_rows_and_dates(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(XLSX_URL, params={"region_code": OWN_REGION}, headers=crafted.admin.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["隐患台账"]
    sheet = book["隐患台账"]
    assert str(sheet["A1"].value).startswith("隐患台账") and OWN_REGION in str(sheet["A1"].value)
    assert [c.value for c in sheet[2]] == EXPECTED_HEADINGS
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A2")
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 8  # own region: h1…h7 and h9
    assert rows[0][0] == 1
    assert isinstance(rows[0][4], datetime)
    f1 = next(row for row in rows if row[1] == "F1" and row[7] == "一般")
    assert f1[4] == datetime(2023, 3, 1) and f1[11] == datetime(2023, 3, 10) and f1[10] == "已销号"
    assert sheet.column_dimensions["I"].width >= 40  # the description column fits Chinese text


async def test_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(
    client: httpx.AsyncClient, make_actor: ActorFactory
) -> None:
    admin = await make_actor(Role.admin, "")
    inst = await factories.institution(client, admin.headers, name='=HYPERLINK("http://x","点击")', township="-南宾")
    o1 = await factories.officer(client, admin.headers, name="@谭明")
    o2 = await factories.officer(client, admin.headers, name="冉华")
    hazards = [
        {"category": "fire_safety", "severity": "general", "description": "+1+1 消防通道堆放杂物"},
        {"category": "food", "severity": "general", "description": "食品留样 =记录缺失"},
    ]
    await factories.inspect(client, admin.headers, inst["id"], [o1["id"], o2["id"]], "2023-05-04", hazards)
    rows = parse_csv((await client.get(CSV_URL, headers=admin.headers)).content)
    assert [(r["机构名称"], r["乡镇"], r["检查人员"], r["隐患描述"]) for r in rows] == [
        ('\'=HYPERLINK("http://x","点击")', "'-南宾", "'@谭明、冉华", "'+1+1 消防通道堆放杂物"),
        ('\'=HYPERLINK("http://x","点击")', "'-南宾", "'@谭明、冉华", "食品留样 =记录缺失"),  # only a leading sign
    ]
    book = openpyxl.load_workbook(io.BytesIO((await client.get(XLSX_URL, headers=admin.headers)).content))
    sheet = book.worksheets[0]
    assert sheet.cell(3, 2).value == '=HYPERLINK("http://x","点击")'  # XLSX: stored as text, shown as is
    assert sheet.cell(3, 2).data_type == "s"


async def test_xlsx_prints_landscape_one_page_wide_with_repeated_headers(
    client: httpx.AsyncClient, crafted: Crafted
) -> None:
    r = await client.get(XLSX_URL, params={"region_code": OWN_REGION}, headers=crafted.admin.headers)
    sheet = openpyxl.load_workbook(io.BytesIO(r.content))["隐患台账"]
    last_column = openpyxl.utils.get_column_letter(len(EXPECTED_HEADINGS))
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 9)  # 9 = A4
    assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # one page wide (absent: the OOXML default, 1)
    assert sheet.page_setup.fitToHeight == 0  # as many pages tall as it takes
    assert sheet.print_title_rows == "$1:$2"  # the title and header rows on every printed page
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert [str(m) for m in sheet.merged_cells.ranges] == [f"A1:{last_column}1"]
    assert sheet.print_area == f"'隐患台账'!$A$1:${last_column}$10"  # title, header, 8 rows
    assert sheet["A1"].alignment.horizontal == "center"
