"""Draw signing keys (issue 12.5): each draw names the key that signed it; the first of `DRAW_SIGNING_KEYS` signs,
every listed key verifies, `legacy` is SECRET_KEY unless listed. Rotation keeps old draws verifiable for as long
as their key stays listed; a draw whose key was removed answers "signature not matching", never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.core.config import LEGACY_KEY_ID, Settings
from app.core.security import create_access_token
from app.db.session import Database
from app.main import create_app
from app.plans.models import Draw
from tests.conftest import TEST_SECRET
from tests.plans.conftest import PLANS, County
from tests.plans.test_draws import DRAW

KEY1 = "k1-" + "1" * 40
KEY2 = "k2-" + "2" * 40
NEW_SECRET = "rotated-secret-key-after-a-leak-0123456789"

Served = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def served(settings: Settings, county: County) -> Served:
    """A client of a second app on the same database, configured with `draw_keys` (and `secret_key`), carrying
    the county admin's token signed with that app's SECRET_KEY."""

    @asynccontextmanager
    async def serve(draw_keys: str, secret_key: str = TEST_SECRET) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            Settings(
                DATABASE_URL=settings.DATABASE_URL,
                DATA_DIR=settings.DATA_DIR,
                SECRET_KEY=secret_key,
                DRAW_SIGNING_KEYS=draw_keys,
                _env_file=None,
            )
        )
        token = create_access_token(county.admin.user_id, secret_key, timedelta(minutes=5))
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
            ) as c:
                yield c
        finally:
            await app.state.db.dispose()

    return serve


async def _draw(c: httpx.AsyncClient, county: County, **extra: Any) -> dict[str, Any]:
    r = await c.post(f"{PLANS}/{county.plan['id']}/draws", json={**DRAW, **extra})
    assert r.status_code == 201, r.text
    drawn: dict[str, Any] = r.json()
    return drawn


async def _verify(c: httpx.AsyncClient, county: County, draw_id: str) -> dict[str, Any]:
    r = await c.get(f"{PLANS}/{county.plan['id']}/draws/{draw_id}/verify")
    assert r.status_code == 200, r.text
    verification: dict[str, Any] = r.json()
    return verification


async def _stored_key_id(db: Database, draw_id: str) -> str:
    async with db.sessionmaker() as s:
        key_id = await s.scalar(select(Draw.signing_key_id).where(Draw.id == uuid.UUID(draw_id)))
    assert key_id is not None
    return key_id


VALID = {"valid": True, "result_matches": True, "signature_matches": True}
KEY_GONE = {"valid": False, "result_matches": True, "signature_matches": False}


def _outcome(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in VALID}


async def test_rotation_keeps_draws_verifiable_while_their_key_is_listed(
    served: Served, county: County, clean_db: Database
) -> None:
    async with served(f"kid1:{KEY1}") as c:
        first = await _draw(c, county)
        assert first["signing_key_id"] == "kid1"
        assert _outcome(await _verify(c, county, first["id"])) == VALID
    assert await _stored_key_id(clean_db, first["id"]) == "kid1"

    async with served(f"kid2:{KEY2},kid1:{KEY1}") as c:  # kid2 put first: it signs, kid1 still verifies
        assert _outcome(await _verify(c, county, first["id"])) == VALID
        second = await _draw(c, county, reason="轮换密钥后重抽")
        assert second["signing_key_id"] == "kid2"
        assert _outcome(await _verify(c, county, second["id"])) == VALID

    async with served(f"kid2:{KEY2}") as c:  # kid1 removed
        assert _outcome(await _verify(c, county, first["id"])) == KEY_GONE
        assert _outcome(await _verify(c, county, second["id"])) == VALID
        listed = (await c.get(f"{PLANS}/{county.plan['id']}/draws")).json()["items"]
        assert [d["signing_key_id"] for d in listed] == ["kid1", "kid2"]

    async with served(f"kid1:{'x' * 40}") as c:  # the same key id with another secret: the signature fails
        assert _outcome(await _verify(c, county, first["id"])) == KEY_GONE


async def test_legacy_draws_verify_before_and_after_rotating_secret_key(
    client: httpx.AsyncClient, served: Served, county: County, clean_db: Database
) -> None:
    """Without DRAW_SIGNING_KEYS a draw is signed with SECRET_KEY, as before key ids, under the id 'legacy'."""
    legacy = (await client.post(f"{PLANS}/{county.plan['id']}/draws", json=DRAW, headers=county.admin.headers)).json()
    assert legacy["signing_key_id"] == LEGACY_KEY_ID
    assert await _stored_key_id(clean_db, legacy["id"]) == LEGACY_KEY_ID
    async with served(f"kid1:{KEY1}") as c:  # configuring draw keys keeps 'legacy' = SECRET_KEY for verifying
        assert _outcome(await _verify(c, county, legacy["id"])) == VALID
    async with served(f"kid1:{KEY1}", secret_key=NEW_SECRET) as c:  # SECRET_KEY rotated, old one not kept
        assert _outcome(await _verify(c, county, legacy["id"])) == KEY_GONE
    async with served(f"kid1:{KEY1},legacy:{TEST_SECRET}", secret_key=NEW_SECRET) as c:  # README's rotation
        assert _outcome(await _verify(c, county, legacy["id"])) == VALID
        assert (await _draw(c, county, reason="密钥轮换后"))["signing_key_id"] == "kid1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kid1", "is not 'key_id:secret'"),
        (f"kid 1:{KEY1}", "is not 'key_id:secret'"),
        (f"{'k' * 41}:{KEY1}", "is not 'key_id:secret'"),
        ("kid1:short", "at least 32 characters"),
        (f"kid1:{KEY1},kid1:{KEY2}", "listed twice"),
    ],
)
def test_malformed_draw_keys_stop_the_start(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(SECRET_KEY=TEST_SECRET, DRAW_SIGNING_KEYS=value, _env_file=None)


def test_draw_keys_order_and_legacy() -> None:
    keys = Settings(
        SECRET_KEY=TEST_SECRET, DRAW_SIGNING_KEYS=f" kid2:{KEY2} , kid1:{KEY1}:with:colons,", _env_file=None
    )
    ring = keys.draw_keys
    assert ring.current == "kid2"
    assert dict(ring.secrets) == {"legacy": TEST_SECRET, "kid2": KEY2, "kid1": f"{KEY1}:with:colons"}
    assert ring.secret("gone") is None
    assert Settings(SECRET_KEY=TEST_SECRET, _env_file=None).draw_keys.current == LEGACY_KEY_ID
