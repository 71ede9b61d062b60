"""What the hazard page (/console/hazards/{hazard_id}) shows, and its evidence files, on the crafted data set
(both databases): the hazard, its whole history, images shown and PDFs linked through the console, 404 for
unknown ids and for another region, no write control for a viewer (its moves: test_hazard_moves)."""

from __future__ import annotations

import re

import httpx
import pytest

from app.web.console import hazard_page
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.hazards.test_evidence import pdf, png, upload
from tests.reports.conftest import Crafted
from tests.web.console.test_hazards import signed_in

UNKNOWN = "00000000-0000-4000-8000-000000000000"
WRITE_LABELS = (
    "开始整改</button>",
    "整改完成</button>",
    "验收销号</button>",
    "退回整改</button>",
    "作废</button>",
    "确定",
)


async def test_without_a_session_detail_and_files_go_to_sign_in(client: httpx.AsyncClient, crafted: Crafted) -> None:
    h5 = crafted.hazards["h5"]
    item = (await upload(client, crafted.admin.headers, h5, png())).json()
    for path in (f"/console/hazards/{h5}", f"/console/hazards/{h5}/evidence/{item['id']}"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path


async def test_the_hazard_its_whole_history_and_its_evidence(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hazard_page, "HISTORY_PAGE", 1)  # the history and the evidence are read page after page
    h5 = crafted.hazards["h5"]  # E1, 2023-05-05, general, service; rectified 06-01, rejected 06-02
    image, document = png(), pdf()
    photo = (await upload(client, crafted.admin.headers, h5, image, filename="整改照片.png")).json()
    report = (await upload(client, crafted.admin.headers, h5, document, filename="整改报告.pdf")).json()
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get(f"/console/hazards/{h5}")
    assert r.status_code == 200, r.text
    assert f'data-id="{h5}"' in r.text
    for text in ("E1", "养老机构", "南宾街道", "服务质量", "一般", "整改中", "2023-05-05"):
        assert text in r.text, text
    history = r.text.split("处理记录", 1)[1].split("证据材料", 1)[0]
    assert [a for a in re.findall(r"<td>(登记|整改完成|退回整改)</td>", history)] == ["登记", "整改完成", "退回整改"]
    assert "待整改 → 已整改" in history and "已整改 → 整改中" in history and "2023-06-02" in history
    url = f"/console/hazards/{h5}/evidence/{photo['id']}"
    assert f'<img src="{url}" alt="证据照片:整改照片.png">' in r.text
    pdf_url = f"/console/hazards/{h5}/evidence/{report['id']}"
    assert f'<a href="{pdf_url}">整改报告.pdf</a>' in r.text and f'<img src="{pdf_url}"' not in r.text
    for label in WRITE_LABELS:  # a viewer makes no move (test_hazard_moves: the buttons of each role)
        assert label not in r.text
    assert r.text.count("<form") == 1  # 退出 only

    f = await client.get(url)
    assert f.status_code == 200 and f.content == image
    assert f.headers["content-type"] == "image/png" and f.headers["x-content-type-options"] == "nosniff"
    assert f.headers["content-disposition"].startswith("inline")
    f = await client.get(pdf_url)
    assert f.status_code == 200 and f.content == document and f.headers["content-type"] == "application/pdf"
    assert f.headers["content-disposition"].startswith("attachment")


async def test_a_hazard_without_evidence_says_so(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get(f"/console/hazards/{crafted.hazards['h2']}")
    assert r.status_code == 200
    assert "尚未上传证据材料" in r.text and "已作废" in r.text and "登记错误" in r.text  # the void's note
    assert "<img" not in r.text


async def test_unknown_ids_and_other_regions_are_a_chinese_404(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    h5, h8 = crafted.hazards["h5"], crafted.hazards["h8"]
    photo = (await upload(client, crafted.admin.headers, h5, png())).json()
    other = (await upload(client, crafted.admin.headers, h8, png())).json()
    await signed_in(client, make_actor, "viewer", OTHER_REGION)
    assert (await client.get(f"/console/hazards/{h8}")).status_code == 200  # its own
    for path in (
        f"/console/hazards/{h5}",
        f"/console/hazards/{h5}/evidence/{photo['id']}",
        f"/console/hazards/{UNKNOWN}",
        "/console/hazards/not-a-uuid",
        f"/console/hazards/{h8}/evidence/{photo['id']}",  # evidence of another hazard
        f"/console/hazards/{h8}/evidence/{UNKNOWN}",
        f"/console/hazards/{h8}/evidence/x",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "未找到该隐患" in r.text and "不在您的管辖范围内" in r.text, path
    r = await client.get(f"/console/hazards/{h8}/evidence/{other['id']}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


async def test_the_rectification_plan_and_its_history_entry(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    h5 = crafted.hazards["h5"]  # rectifying: a plan may still be set
    plan = {"measures": "增设服务人员<script>alert(1)</script>", "responsible_person": "李四"}
    body = {"action": "plan", "on": "2023-06-03", "rectification_plan": plan}
    r = await client.post(f"/api/v1/hazards/{h5}/transitions", json=body, headers=crafted.admin.headers)
    assert r.status_code == 200, r.text
    await signed_in(client, make_actor, "viewer", OWN_REGION)
    r = await client.get(f"/console/hazards/{h5}")
    shown = r.text.split('id="plan-title"', 1)[1].split("</section>", 1)[0]
    assert "增设服务人员&lt;script&gt;" in shown and "李四" in shown and "<script>alert" not in r.text
    history = r.text.split("处理记录", 1)[1].split("证据材料", 1)[0]
    assert "<td>整改方案</td>" in history
    r = await client.get(f"/console/hazards/{crafted.hazards['h2']}")
    assert "尚未登记整改方案" in r.text
