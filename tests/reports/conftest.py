"""A small crafted data set whose every report counter is computed by hand in the tests.

Region 500240 (own) and 500101 (other). Period 2023; as_of 2023-12-31 unless said.

| institution | kind | region | status | inspections in 2023 (hazards) |
|---|---|---|---|---|
| F1 | funeral | own | active | I1 03-01: h1 general due 03-15 rectified 03-10 verified 03-12; h2 major VOIDED |
| F2 | funeral | own | closed after I2 | I2 04-01 (officer O3, valid until 06-30): h3 general due 04-10 open |
| E1 | elderly, 南宾街道 | own | active | I3 05-05: h4 major due 05-20 rectified 2024-01-10; |
| | | | | h5 general no due, rectified 06-01 then rejected |
| | | | | I4 11-20: h6 general due 2024-02-01 open |
| E2 | elderly, 西沱镇 | own | active | outside the period: I5 2022-12-31 (h7 rectified 2023-01-05), |
| | | | | I7 2024-01-02 (h9) |
| E3 | elderly | own | suspended | — |
| EB | elderly | other | active | I6 06-01 (other-region officers): h8 general rectified 06-10 |

Officers in own region: O1, O2 certified; O3 expired 2023-06-30; O4 revoked; O5 without certificate
(units: O1, O2, O3 殡葬事务中心; O4, O5 社会福利中心). Other region: OB1, OB2 certified (社会福利中心).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests import factories
from tests.conftest import OTHER_REGION, Actor

FUNERAL_UNIT, ELDERLY_UNIT = "殡葬事务中心", "社会福利中心"


@dataclass(frozen=True)
class Crafted:
    admin: Actor
    hazards: dict[str, str]
    institutions: dict[str, str]


def _h(severity: str = "general", due_on: str | None = None, category: str = "fire_safety") -> dict[str, object]:
    return {"category": category, "severity": severity, "description": "隐患", "due_on": due_on}


@pytest.fixture
async def crafted(client: httpx.AsyncClient, admin: Actor) -> Crafted:
    h = admin.headers
    inst = {
        "F1": await factories.institution(client, h, kind="funeral", name="F1"),
        "F2": await factories.institution(client, h, kind="funeral", name="F2"),
        "E1": await factories.institution(client, h, name="E1", township="南宾街道"),
        "E2": await factories.institution(client, h, name="E2", township="西沱镇"),
        "E3": await factories.institution(client, h, name="E3", status="suspended"),
        "EB": await factories.institution(client, h, name="EB", region_code=OTHER_REGION),
    }
    o1 = (await factories.officer(client, h, unit=FUNERAL_UNIT))["id"]
    o2 = (await factories.officer(client, h, unit=FUNERAL_UNIT))["id"]
    o3 = (await factories.officer(client, h, unit=FUNERAL_UNIT, certificate_expires_on="2023-06-30"))["id"]
    await factories.officer(client, h, unit=ELDERLY_UNIT, certificate_status="revoked")
    await factories.officer(
        client, h, unit=ELDERLY_UNIT, certificate_no=None, certificate_issued_on=None, certificate_expires_on=None
    )
    ob1 = (await factories.officer(client, h, region_code=OTHER_REGION))["id"]
    ob2 = (await factories.officer(client, h, region_code=OTHER_REGION))["id"]
    ids = {k: v["id"] for k, v in inst.items()}
    hz: dict[str, str] = {}
    hz["h1"], hz["h2"] = await factories.inspect(
        client, h, ids["F1"], [o1, o2], "2023-03-01", [_h(due_on="2023-03-15"), _h("major")]
    )
    (hz["h3"],) = await factories.inspect(client, h, ids["F2"], [o1, o3], "2023-04-01", [_h(due_on="2023-04-10")])
    r = await client.patch(f"/api/v1/institutions/{ids['F2']}", json={"status": "closed"}, headers=h)
    assert r.status_code == 200, r.text
    hz["h4"], hz["h5"] = await factories.inspect(
        client, h, ids["E1"], [o1, o2], "2023-05-05", [_h("major", "2023-05-20", "food"), _h(category="service")]
    )
    (hz["h6"],) = await factories.inspect(client, h, ids["E1"], [o1, o2], "2023-11-20", [_h(due_on="2024-02-01")])
    (hz["h7"],) = await factories.inspect(client, h, ids["E2"], [o1, o2], "2022-12-31", [_h()])
    (hz["h8"],) = await factories.inspect(client, h, ids["EB"], [ob1, ob2], "2023-06-01", [_h()])
    (hz["h9"],) = await factories.inspect(client, h, ids["E2"], [o1, o2], "2024-01-02", [_h()])
    for hazard, action, on in (
        ("h1", "rectify", "2023-03-10"),
        ("h1", "verify", "2023-03-12"),
        ("h4", "rectify", "2024-01-10"),
        ("h5", "rectify", "2023-06-01"),
        ("h5", "reject", "2023-06-02"),
        ("h7", "rectify", "2023-01-05"),
        ("h8", "rectify", "2023-06-10"),
    ):
        await factories.move(client, h, hz[hazard], action, on)
    await factories.move(client, h, hz["h2"], "void", "2023-03-02", note="登记错误")
    return Crafted(admin, hz, ids)
