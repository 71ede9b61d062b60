"""Matrix rows: the events feed and webhooks (see matrix_core for the columns).

The feed is read by every role in its region (another region's events are simply not in it); webhooks are
managed by admins only, a subscription of another region is 404 and a `region_code` outside the caller's 403.
Subscriptions point at a public IP literal: admitted without a name lookup and never attempted (no worker runs).
"""

from __future__ import annotations

from typing import Any

from tests.auth.matrix_core import ADMIN, OUTSIDE, READ, V1, Req, Table, hex8
from tests.auth.matrix_world import Side, World

ROWS = Table()
HIDDEN_ADMIN = ADMIN.format(404)  # another region's subscription: 403 for non-admins first, then 404


async def _hook(w: World, s: Side) -> str:
    body = {"url": f"https://8.8.8.8/{hex8()}", "region_code": w.region(s).code}
    made: dict[str, Any] = await w.post("/webhooks", body)
    w._mark(s, made["id"])
    return str(made["id"])


@ROWS.row("GET", f"{V1}/events", "the caller's region only", READ, None)
async def _events(w: World, s: Side) -> Req:
    return Req()


@ROWS.row("POST", f"{V1}/webhooks", "body region_code", ADMIN.format(201), OUTSIDE)
async def _hook_create(w: World, s: Side) -> Req:
    return Req(json={"url": f"https://8.8.8.8/{hex8()}", "region_code": w.region(s).code})


@ROWS.row("GET", f"{V1}/webhooks", "the caller's region only", ADMIN.format(200), None)
async def _hooks(w: World, s: Side) -> Req:
    return Req()


@ROWS.row("GET", f"{V1}/webhooks/{{webhook_id}}", "path id", ADMIN.format(200), HIDDEN_ADMIN)
async def _hook_get(w: World, s: Side) -> Req:
    return Req(ids={"webhook_id": await _hook(w, s)})


@ROWS.row("PATCH", f"{V1}/webhooks/{{webhook_id}}", "path id", ADMIN.format(200), HIDDEN_ADMIN)
async def _hook_patch(w: World, s: Side) -> Req:
    return Req(ids={"webhook_id": await _hook(w, s)}, json={"enabled": False})


@ROWS.row("DELETE", f"{V1}/webhooks/{{webhook_id}}", "path id", ADMIN.format(204), HIDDEN_ADMIN)
async def _hook_delete(w: World, s: Side) -> Req:
    return Req(ids={"webhook_id": await _hook(w, s)})


@ROWS.row("POST", f"{V1}/webhooks/{{webhook_id}}/test", "path id", ADMIN.format(202), HIDDEN_ADMIN)
async def _hook_test(w: World, s: Side) -> Req:
    return Req(ids={"webhook_id": await _hook(w, s)})


@ROWS.row("GET", f"{V1}/webhooks/{{webhook_id}}/deliveries", "path id", ADMIN.format(200), HIDDEN_ADMIN)
async def _hook_deliveries(w: World, s: Side) -> Req:
    return Req(ids={"webhook_id": await _hook(w, s)})


@ROWS.row(
    "POST",
    f"{V1}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/retry",
    "path id (a pending delivery: 409 to an admin)",
    ADMIN.format(409),
    HIDDEN_ADMIN,
)
async def _hook_retry(w: World, s: Side) -> Req:
    hook = await _hook(w, s)
    delivery: dict[str, Any] = await w.post(f"/webhooks/{hook}/test", {})
    return Req(ids={"webhook_id": hook, "delivery_id": str(delivery["delivery_id"])})
