"""Matrix rows: logging in, users, API keys, institutions and officers (see matrix_core for the columns)."""

from __future__ import annotations

from typing import Any

from tests.auth.matrix_core import ADMIN, HIDDEN, MANAGE, OUTSIDE, PUBLIC, READ, V1, Req, Table, hex8, in_region
from tests.auth.matrix_world import TEST_PASSWORD, Side, World

ROWS = Table()


# ---- auth, users, API keys --------------------------------------------------------------------------------
@ROWS.row("POST", f"{V1}/auth/token", "log in as a user of the region", PUBLIC, PUBLIC)
async def _token(w: World, s: Side) -> Req:
    return Req(data={"username": w.region(s).username, "password": TEST_PASSWORD})


@ROWS.row("GET", f"{V1}/users/me", "the caller itself", "401 200 200 200 200 404", None)
async def _me(w: World, s: Side) -> Req:
    return Req()


@ROWS.row("POST", f"{V1}/users/me/revoke-sessions", "the caller itself", "401 204 204 204 204 404", None)
async def _me_revoke(w: World, s: Side) -> Req:
    return Req()


def _user_body(region_code: str, **extra: Any) -> dict[str, Any]:
    return {
        "username": f"mx-{hex8()}",
        "password": "a long enough password",
        "role": "inspector",
        "region_code": region_code,
        **extra,
    }


@ROWS.row("POST", f"{V1}/users", "body region_code", ADMIN.format(201), OUTSIDE)
async def _user_create(w: World, s: Side) -> Req:
    return Req(json=_user_body(w.region(s).code))


@ROWS.row("POST", f"{V1}/users", "body officer_id", ADMIN.format(201), ADMIN.format(422))
async def _user_create_officer(w: World, s: Side) -> Req:
    officer = await w.fresh_officer("own") if s == "own" else w.other.officers[0]
    return Req(json=_user_body(w.own.code, officer_id=officer))


@ROWS.row("GET", f"{V1}/users", "the admin's region", ADMIN.format(200), None)
async def _users(w: World, s: Side) -> Req:
    return Req(shows=w.own.user)


@ROWS.row("GET", f"{V1}/users/{{user_id}}", "path id", ADMIN.format(200), ADMIN.format(404))
async def _user(w: World, s: Side) -> Req:
    return Req(ids={"user_id": w.region(s).user})


@ROWS.row("PATCH", f"{V1}/users/{{user_id}}", "path id", ADMIN.format(200), ADMIN.format(404))
async def _user_patch(w: World, s: Side) -> Req:
    return Req(ids={"user_id": w.region(s).user}, json={"is_active": True})


@ROWS.row("POST", f"{V1}/users/{{user_id}}/revoke-sessions", "path id", ADMIN.format(204), ADMIN.format(404))
async def _user_revoke(w: World, s: Side) -> Req:
    return Req(ids={"user_id": w.region(s).user})


@ROWS.row("PATCH", f"{V1}/users/{{user_id}}", "body officer_id", ADMIN.format(200), ADMIN.format(422))
async def _user_patch_officer(w: World, s: Side) -> Req:
    officer = await w.fresh_officer("own") if s == "own" else w.other.officers[1]
    return Req(ids={"user_id": str((await w.fresh_user("own")).id)}, json={"officer_id": officer})


@ROWS.row("PATCH", f"{V1}/users/{{user_id}}", "body region_code", ADMIN.format(200), OUTSIDE)
async def _user_patch_region(w: World, s: Side) -> Req:
    return Req(ids={"user_id": str((await w.fresh_user("own")).id)}, json={"region_code": w.region(s).code})


@ROWS.row("POST", f"{V1}/api-keys", "body region_code", ADMIN.format(201), OUTSIDE)
async def _key_create(w: World, s: Side) -> Req:
    return Req(json={"name": f"key-{hex8()}", "role": "viewer", "region_code": w.region(s).code})


@ROWS.row("GET", f"{V1}/api-keys", "the admin's region", ADMIN.format(200), None)
async def _keys(w: World, s: Side) -> Req:
    return Req(shows=w.own.api_key)


@ROWS.row("GET", f"{V1}/api-keys/{{key_id}}", "path id", ADMIN.format(200), ADMIN.format(404))
async def _key(w: World, s: Side) -> Req:
    return Req(ids={"key_id": w.region(s).api_key})


@ROWS.row("DELETE", f"{V1}/api-keys/{{key_id}}", "path id", ADMIN.format(204), ADMIN.format(404))
async def _key_revoke(w: World, s: Side) -> Req:
    return Req(ids={"key_id": await w.fresh_api_key(s)})


# ---- institutions -----------------------------------------------------------------------------------------
@ROWS.row("POST", f"{V1}/institutions", "body region_code", MANAGE.format(201), OUTSIDE)
async def _institution_create(w: World, s: Side) -> Req:
    return Req(json={"name": f"敬老院-{hex8()}", "kind": "elderly_care", "region_code": w.region(s).code})


@ROWS.row("GET", f"{V1}/institutions", "query region_code", READ, OUTSIDE)
async def _institutions(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.institution)


@ROWS.row("GET", f"{V1}/institutions/{{institution_id}}", "path id", READ, HIDDEN)
async def _institution(w: World, s: Side) -> Req:
    return Req(ids={"institution_id": w.region(s).institution})


@ROWS.row("PATCH", f"{V1}/institutions/{{institution_id}}", "path id", MANAGE.format(200), MANAGE.format(404))
async def _institution_patch(w: World, s: Side) -> Req:
    return Req(ids={"institution_id": w.region(s).institution}, json={"township": "南宾街道"})


@ROWS.row("PATCH", f"{V1}/institutions/{{institution_id}}", "body region_code", MANAGE.format(200), OUTSIDE)
async def _institution_move(w: World, s: Side) -> Req:
    return Req(ids={"institution_id": await w.fresh_institution("own")}, json={"region_code": w.region(s).code})


# ---- officers ---------------------------------------------------------------------------------------------
@ROWS.row("POST", f"{V1}/officers", "body region_code", MANAGE.format(201), OUTSIDE)
async def _officer_create(w: World, s: Side) -> Req:
    return Req(
        json={
            "name": "冉华",
            "unit": "殡葬事务中心",
            "region_code": w.region(s).code,
            "certificate_no": f"渝执法{hex8()}",
        }
    )


@ROWS.row("GET", f"{V1}/officers", "query region_code", READ, OUTSIDE)
async def _officers(w: World, s: Side) -> Req:
    return in_region(w, s, w.own.officers[0])


@ROWS.row("GET", f"{V1}/officers/{{officer_id}}", "path id", READ, HIDDEN)
async def _officer(w: World, s: Side) -> Req:
    return Req(ids={"officer_id": w.region(s).officers[0]})


@ROWS.row("PATCH", f"{V1}/officers/{{officer_id}}", "path id", MANAGE.format(200), MANAGE.format(404))
async def _officer_patch(w: World, s: Side) -> Req:
    return Req(ids={"officer_id": w.region(s).officers[2]}, json={"unit": "殡葬事务中心"})


@ROWS.row("PATCH", f"{V1}/officers/{{officer_id}}", "body region_code", MANAGE.format(200), OUTSIDE)
async def _officer_move(w: World, s: Side) -> Req:
    return Req(ids={"officer_id": await w.fresh_officer("own")}, json={"region_code": w.region(s).code})


@ROWS.row("POST", f"{V1}/officers/{{officer_id}}/trainings", "path id", MANAGE.format(201), MANAGE.format(404))
async def _training_create(w: World, s: Side) -> Req:
    return Req(
        ids={"officer_id": w.region(s).officers[0]},
        json={"held_on": "2023-03-01", "hours": 4, "topic": "《行政处罚法》专题培训"},
    )


@ROWS.row("GET", f"{V1}/officers/{{officer_id}}/trainings", "path id", READ, HIDDEN)
async def _trainings(w: World, s: Side) -> Req:
    return Req(ids={"officer_id": w.region(s).officers[0]})
