"""Region names wherever a region is shown: breakdown labels, the ledgers, the demo; and the CLI import."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from pathlib import Path

import httpx
import openpyxl
import pytest

from app import demo
from app.core.config import Settings
from app.db.session import Database
from app.demo_regions import TOWNSHIPS
from tests.conftest import OTHER_REGION, OWN_REGION, Actor
from tests.problems import problem_of
from tests.reports.conftest import Crafted

V1 = "/api/v1"
PERIOD = {"from": "2023-01-01", "to": "2023-12-31"}


async def _name(client: httpx.AsyncClient, actor: Actor, code: str, name: str) -> None:
    r = await client.put(f"{V1}/regions/{code}", json={"name": name}, headers=actor.headers)
    assert r.status_code in (200, 201), r.text


async def test_breakdown_labels_regions_by_name(client: httpx.AsyncClient, crafted: Crafted) -> None:
    params = {**PERIOD, "group_by": "region_code"}
    before = (await client.get(f"{V1}/reports/breakdown", params=params, headers=crafted.admin.headers)).json()
    assert {g["key"]: g["label"] for g in before["groups"]} == {OTHER_REGION: OTHER_REGION, OWN_REGION: OWN_REGION}
    await _name(client, crafted.admin, OWN_REGION, "石柱土家族自治县")
    r = await client.get(f"{V1}/reports/breakdown", params=params, headers=crafted.admin.headers)
    assert r.status_code == 200
    labels = {g["key"]: (g["label"], g["hazards_found"]) for g in r.json()["groups"]}
    # A code the register does not know (500101 here) shows as the code.
    assert labels == {OTHER_REGION: (OTHER_REGION, 1), OWN_REGION: ("石柱土家族自治县", 5)}


async def test_ledgers_end_with_the_region_name(client: httpx.AsyncClient, crafted: Crafted) -> None:
    await _name(client, crafted.admin, OWN_REGION, "石柱土家族自治县")
    h = crafted.admin.headers
    body = (await client.get(f"{V1}/exports/hazards.csv", headers=h)).content
    rows = list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))
    assert list(rows[0])[-2:] == ["行政区划", "督办级别"]  # columns are only ever appended
    by_institution = {row["机构名称"]: row["行政区划"] for row in rows}
    assert by_institution == {
        "F1": "石柱土家族自治县",
        "F2": "石柱土家族自治县",
        "E1": "石柱土家族自治县",
        "E2": "石柱土家族自治县",
        "EB": OTHER_REGION,  # not in the register: the code
    }
    r = await client.get(f"{V1}/exports/hazards.xlsx", params={"region_code": OWN_REGION}, headers=h)
    sheet = openpyxl.load_workbook(io.BytesIO(r.content))["隐患台账"]
    assert "地区:石柱土家族自治县(500240)" in str(sheet["A1"].value)
    assert sheet.cell(2, 15).value == "行政区划" and sheet.cell(3, 15).value == "石柱土家族自治县"


@pytest.mark.real_commits
async def test_demo_seeds_shizhu_and_its_townships(client: httpx.AsyncClient, clean_db: Database, admin: Actor) -> None:
    """(seed-demo calls seed_regions first: tests/reports/test_annual.py checks the county's name after it.)"""
    await demo.seed_regions(clean_db)
    await demo.seed_regions(clean_db)  # idempotent
    county = (await client.get(f"{V1}/regions/{OWN_REGION}", headers=admin.headers)).json()
    assert (county["name"], county["parent_code"]) == ("石柱土家族自治县", "5002")
    r = await client.get(f"{V1}/regions", params={"parent_code": OWN_REGION, "limit": "100"}, headers=admin.headers)
    townships = {i["code"]: i["name"] for i in r.json()["items"]}
    assert len(townships) == len(TOWNSHIPS) == 33
    names = list(townships.values())
    assert sum(n.endswith("街道") for n in names) == 3
    assert sum(n.endswith("镇") for n in names) == 17
    assert sum(n.endswith("乡") for n in names) == 13
    assert townships["500240001"] == "南宾街道" and townships["500240101"] == "西沱镇"
    assert set(demo.TOWNSHIPS) <= set(names), "every township the demo's institutions name is in the register"


async def _cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL or "",
        "DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.secret_key,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.real_commits
async def test_cli_import_regions(client: httpx.AsyncClient, clean_db: Database, admin: Actor, tmp_path: Path) -> None:
    good = tmp_path / "shizhu.csv"
    good.write_bytes("代码,名称\n500240,石柱土家族自治县\n500240001000,南宾街道\n".encode("gbk"))
    code, out, err = await _cli(clean_db.settings, "import-regions", str(good))
    assert code == 0, err
    assert "2 rows, 2 new" in out
    assert (await client.get(f"{V1}/regions/500240001", headers=admin.headers)).json()["name"] == "南宾街道"

    bad = tmp_path / "bad.csv"
    bad.write_text("500240002,万安街道\n5002403,下路街道\n", encoding="utf-8")
    code, out, err = await _cli(clean_db.settings, "import-regions", str(bad))
    assert code == 1
    assert "nothing was imported" in err and "line 2:code" in err
    problem_of(await client.get(f"{V1}/regions/500240002", headers=admin.headers), 404)
