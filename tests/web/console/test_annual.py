"""年度报告 (/console/reports/annual): the paragraph exactly as the API gives it, in the caller's region, the
`年度` control, 下载Word giving the API's DOCX, a bad year beside the control (server side, both databases)."""

from __future__ import annotations

import html
import io
import re

import httpx
import pytest
from docx import Document

from app.auth.models import Role
from app.core import clock
from app.reports.annual import DOCX_MEDIA_TYPE
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.web.console.test_sessions import sign_in

PARAGRAPH = re.compile(r"<pre class=\"annual\" data-annual>(.*?)</pre>", re.S)


def _paragraph(page: str) -> str:
    found = PARAGRAPH.findall(page)
    assert len(found) == 1
    return html.unescape(found[0])


def _docx_text(content: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


async def _signed_in(client: httpx.AsyncClient, make_actor: ActorFactory, region: str) -> dict[str, str]:
    client.cookies.clear()
    user = await make_actor(Role.viewer, region)
    assert (await sign_in(client, user.username)).status_code == 303
    return user.headers


@pytest.fixture
async def inspected_2023(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    admin = await make_actor(Role.admin, "")
    home = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    r = await client.post(
        "/api/v1/inspections", json=factories.inspection_body(home["id"], officers), headers=admin.headers
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("path", ["/console/reports/annual?year=2023", "/console/reports/annual.docx?year=2023"])
async def test_without_a_session_the_report_goes_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=%2Fconsole%2Freports")


async def test_the_paragraph_is_the_apis_and_word_is_the_apis_docx(
    client: httpx.AsyncClient, make_actor: ActorFactory, inspected_2023: None
) -> None:
    headers = await _signed_in(client, make_actor, OWN_REGION)
    r = await client.get("/console/reports/annual?year=2023")
    assert r.status_code == 200, r.text
    api = await client.get("/api/v1/reports/annual", params={"year": 2023}, headers=headers)
    assert _paragraph(r.text) == api.text
    assert "养老机构1家,累计检查1次,排查隐患2起,整改0起,整改率0%。" in api.text
    assert '<label for="f-year">年度</label>' in r.text and 'value="2023"' in r.text and "查询" in r.text
    assert 'href="/console/reports/annual.docx?year=2023"' in r.text and "下载Word" in r.text
    assert 'aria-current="page">年度报告' in r.text

    word = await client.get("/console/reports/annual.docx?year=2023")
    assert word.status_code == 200
    assert word.headers["content-type"] == DOCX_MEDIA_TYPE
    assert word.headers["content-disposition"].startswith("attachment; filename*=UTF-8''2023")
    api_word = await client.get("/api/v1/reports/annual", params={"year": 2023, "format": "docx"}, headers=headers)
    assert word.content == api_word.content  # the same document, byte for byte
    assert any("养老机构1家" in line for line in _docx_text(word.content))


async def test_another_county_gets_its_own_figures(
    client: httpx.AsyncClient, make_actor: ActorFactory, inspected_2023: None
) -> None:
    headers = await _signed_in(client, make_actor, OTHER_REGION)
    r = await client.get("/console/reports/annual?year=2023")
    text = _paragraph(r.text)
    assert text == (await client.get("/api/v1/reports/annual", params={"year": 2023}, headers=headers)).text
    assert "养老机构0家" in text and "整改率—" in text and "持证执法人员0人" in text
    word = await client.get("/console/reports/annual.docx?year=2023")
    assert not any("养老机构1家" in line for line in _docx_text(word.content))


async def test_the_default_year_is_this_year(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    await _signed_in(client, make_actor, OWN_REGION)
    r = await client.get("/console/reports/annual")
    year = clock.today().year
    assert r.status_code == 200 and f'value="{year}"' in r.text and f"annual.docx?year={year}" in r.text
    assert "殡葬机构0家" in _paragraph(r.text)


@pytest.mark.parametrize("bad", ["abc", "1999", "2101", "20233", "２０２３", "2023.0", "-1"])
@pytest.mark.parametrize("path", ["/console/reports/annual", "/console/reports/annual.docx"])
async def test_a_bad_year_is_a_message_beside_the_control(
    client: httpx.AsyncClient, make_actor: ActorFactory, path: str, bad: str
) -> None:
    await _signed_in(client, make_actor, OWN_REGION)
    r = await client.get(path, params={"year": bad})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert 'id="year-error"' in r.text and "年度应为" in r.text and 'aria-describedby="year-error"' in r.text
    assert "data-annual" not in r.text and "下载Word" not in r.text
