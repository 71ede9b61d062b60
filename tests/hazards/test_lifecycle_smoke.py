"""A hazard's whole life: rectify, reject, rectify again, verify — with ETags and history."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories
from tests.conftest import Actor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _inspection(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    inst = await factories.institution(client, admin.headers)
    o1 = await factories.officer(client, admin.headers)
    o2 = await factories.officer(client, admin.headers)
    r = await client.post(
        "/api/v1/inspections", json=factories.inspection_body(inst["id"], [o1["id"], o2["id"]]), headers=admin.headers
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_rectify_reject_verify_with_history(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = (await _inspection(client, admin))["hazards"][0]["id"]
    r = await client.get(f"/api/v1/hazards/{hazard_id}", headers=admin.headers)
    etag = r.headers["etag"]
    up = await client.post(
        f"/api/v1/hazards/{hazard_id}/evidence", headers=admin.headers, files={"file": ("整改后.png", PNG, "image/png")}
    )
    assert up.status_code == 201, up.text
    evidence_id = up.json()["id"]
    moves = [
        ("rectify", "2023-05-10", "rectified"),
        ("reject", "2023-05-11", "rectifying"),
        ("rectify", "2023-05-12", "rectified"),
        ("verify", "2023-05-13", "verified"),
    ]
    for action, on, expected in moves:
        r = await client.post(
            f"/api/v1/hazards/{hazard_id}/transitions",
            headers={**admin.headers, "If-Match": etag},
            json={"action": action, "on": on, "evidence_ids": [evidence_id]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == expected
        assert r.headers["etag"] != etag
        etag = r.headers["etag"]
    assert r.json()["rectified_on"] == "2023-05-12" and r.json()["verified_on"] == "2023-05-13"
    stale = await client.post(
        f"/api/v1/hazards/{hazard_id}/transitions",
        headers={**admin.headers, "If-Match": '"stale"'},
        json={"action": "void", "on": "2023-05-14", "note": "x"},
    )
    assert stale.status_code == 412
    illegal = await client.post(
        f"/api/v1/hazards/{hazard_id}/transitions", headers=admin.headers, json={"action": "start", "on": "2023-05-14"}
    )
    assert illegal.status_code == 409
    history = (await client.get(f"/api/v1/hazards/{hazard_id}/history", headers=admin.headers)).json()["items"]
    assert [(h["action"], h["from"], h["to"]) for h in history] == [
        ("create", None, "open"),
        ("rectify", "open", "rectified"),
        ("reject", "rectified", "rectifying"),
        ("rectify", "rectifying", "rectified"),
        ("verify", "rectified", "verified"),
    ]
    dl = await client.get(f"/api/v1/hazards/{hazard_id}/evidence/{evidence_id}", headers=admin.headers)
    assert dl.status_code == 200 and dl.content == PNG
    listing = await client.get("/api/v1/hazards", params={"status": "verified"}, headers=admin.headers)
    assert [h["id"] for h in listing.json()["items"]] == [hazard_id]
