"""Matrix rows: 批量导入 (see matrix_core for the columns).

A file's rows carry their region: a row outside the caller's region is not a 403 for the whole request but
an error on that row's 行政区划代码 (422, nothing stored), as the preview shows it.
"""

from __future__ import annotations

import csv
import io

from tests.auth.matrix_core import MANAGE, READ, V1, Req, Table
from tests.auth.matrix_world import Side, World

ROWS = Table()
HEADINGS = ["姓名", "所在单位", "行政区划代码"]


def _officers(region_code: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADINGS, ["导入测试", "殡葬事务中心", region_code]])
    return out.getvalue().encode()


@ROWS.row("POST", f"{V1}/imports/{{kind}}", "file rows region_code", MANAGE.format(200), "401 403 403 422 422 422")
async def _import(w: World, s: Side) -> Req:
    return Req(ids={"kind": "officers"}, files={"file": ("officers.csv", _officers(w.region(s).code), "text/csv")})


@ROWS.row("GET", f"{V1}/imports/{{kind}}/template", "none", READ, None)
async def _template(w: World, s: Side) -> Req:
    return Req(ids={"kind": "institutions"})
