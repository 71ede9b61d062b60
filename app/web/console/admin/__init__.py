"""系统管理 (administration, admins only): users, API keys, webhooks and their deliveries, through the same
service functions as the API's `/users`, `/api-keys` and `/webhooks`, with the signed-in admin's principal.

Paths:
- `GET /console/admin` → 303 to `/console/admin/users`.
- `GET|POST /console/admin/users`: the users of the admin's region; `POST` creates one (用户名, 密码, 角色,
  行政区划代码). `GET|POST /console/admin/users/{user_id}`: the user; `POST` with `action` = `save` (角色,
  行政区划代码, 新密码), `disable` (停用) or `enable` (启用) — `PATCH /users/{user_id}`.
- `GET|POST /console/admin/keys`: the API keys; `POST` creates one and shows it once.
  `POST /console/admin/keys/{key_id}/revoke`: 吊销.
- `GET|POST /console/admin/webhooks`: the subscriptions; `POST` creates one and shows its secret once.
  `GET|POST /console/admin/webhooks/{webhook_id}`: the subscription and its deliveries (`?status=` and
  `下一页`); `POST` with `action` = `enable`, `disable`, `test` or `delete`.
  `POST /console/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/retry`: 重试 a failed delivery.

Rules:
- Without a session a GET is 303 to the sign-in page; every POST passes the CSRF checks first (403 otherwise).
  A signed-in user who is not an admin gets the Chinese 403 page for every GET and POST, and sees no 系统管理
  link (templates/base.html).
- Everything is inside the admin's region, as in the API: rows of other regions are not listed, and their
  pages are the Chinese 404 page. Bad input is shown beside its field (422; a username taken is 409) and
  nothing is stored. Each module states its own page's rules.
- After a change the page redirects (303) to the record, except a create that shows a secret once: that page
  is the answer to the POST itself, so the secret is never in a URL or a later page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.deps import SettingsDep
from app.db.deps import DatabaseDep
from app.web.console.admin import keys, users, webhooks
from app.web.console.admin.common import ADMIN, admin_viewer
from app.web.console.forms import see_other

router = APIRouter(include_in_schema=False)


@router.get(ADMIN)
async def admin_home(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    principal = await admin_viewer(request, db, settings)
    if isinstance(principal, Response):
        return principal
    return see_other(users.USERS)


router.include_router(users.router)
router.include_router(keys.router)
router.include_router(webhooks.router)
