"""Login throttling: failed logins per username and per client IP in a sliding window → 429 with Retry-After,
decided before the password is verified; a success clears the username; the window slides on the service clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.auth import service
from app.auth.models import Role
from app.auth.throttle import LoginThrottle
from app.core import security
from app.core.clock import frozen_clock
from app.core.config import Settings
from app.db.session import Database
from app.main import create_app
from tests.auth.helpers import ME_URL, TOKEN_URL, assert_problem, bearer, login
from tests.conftest import OWN_REGION, TEST_PASSWORD, ActorFactory

WRONG = TEST_PASSWORD + "x"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


def assert_throttled(r: httpx.Response, *, at_most: int | None = None) -> int:
    """A 429 problem with a whole-second Retry-After; returns it."""
    body = assert_problem(r, 429)
    assert "access_token" not in body
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    if at_most is not None:
        assert retry_after <= at_most
    assert f"{retry_after} s" in body["detail"]
    return retry_after


@pytest.fixture(autouse=True)
def count_verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Logins verify passwords with a stand-in for argon2 (every test user's password is TEST_PASSWORD), so
    dozens of failed logins stay fast; the list collects the password each verification was asked about."""
    calls: list[str] = []

    def fake_verify(password: str, password_hash: str | None) -> bool:
        calls.append(password)
        return password_hash is not None and password == TEST_PASSWORD

    monkeypatch.setattr(service, "verify_password", fake_verify)
    return calls


@pytest.fixture
def real_argon2(monkeypatch: pytest.MonkeyPatch, count_verifications: list[str]) -> None:
    monkeypatch.setattr(service, "verify_password", security.verify_password)


@pytest.fixture
async def limited_app(settings: Settings, clean_db: Database) -> AsyncIterator[FastAPI]:
    """A second app on the fixture database: 3 failures per IP, 5 per user, 60 s window."""
    application = create_app(
        settings.model_copy(
            update={"LOGIN_MAX_FAILURES_PER_IP": 3, "LOGIN_MAX_FAILURES_PER_USER": 5, "LOGIN_WINDOW_SECONDS": 60}
        )
    )
    yield application
    await application.state.db.dispose()


@pytest.fixture
def client_from(limited_app: FastAPI) -> ClientFor:
    """An HTTP client whose requests come from the given client IP (ASGITransport's `client`)."""

    @asynccontextmanager
    async def make(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=limited_app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c

    return make


async def _fail(client: httpx.AsyncClient, username: str, times: int) -> None:
    for _ in range(times):
        assert_problem(await login(client, username, WRONG), 401)


# --- per username ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("real_argon2")
async def test_username_locked_after_max_failures(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    await _fail(client, actor.username, settings.LOGIN_MAX_FAILURES_PER_USER)
    assert_throttled(await login(client, actor.username, WRONG), at_most=settings.LOGIN_WINDOW_SECONDS)
    # the right password does not get through the lock either
    r = await login(client, actor.username, TEST_PASSWORD)
    assert_throttled(r, at_most=settings.LOGIN_WINDOW_SECONDS)
    assert r.headers["cache-control"] == "no-store"
    # another username from the same client is not affected (below the per-IP limit)
    other = await make_actor(Role.viewer, OWN_REGION)
    assert (await login(client, other.username, TEST_PASSWORD)).status_code == 200


async def test_locked_login_does_no_argon2_work(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings, count_verifications: list[str]
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    limit = settings.LOGIN_MAX_FAILURES_PER_USER
    await _fail(client, actor.username, limit)
    assert len(count_verifications) == limit
    for password in (WRONG, TEST_PASSWORD, "anything"):
        assert_throttled(await login(client, actor.username, password))
    assert len(count_verifications) == limit


async def test_unknown_username_is_locked_like_a_known_one(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    # Same answers for both: the lock reveals nothing about which accounts exist.
    known = await make_actor(Role.viewer, OWN_REGION)
    answers: dict[str, list[int]] = {}
    for username in (known.username, "no-such-user"):
        answers[username] = [
            (await login(client, username, WRONG)).status_code for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER + 1)
        ]
    assert answers[known.username] == answers["no-such-user"] == [401] * settings.LOGIN_MAX_FAILURES_PER_USER + [429]
    assert_throttled(await login(client, "no-such-user", WRONG))


async def test_success_clears_the_username_failures(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.inspector, OWN_REGION)
    below = settings.LOGIN_MAX_FAILURES_PER_USER - 1
    await _fail(client, actor.username, below)
    assert (await login(client, actor.username, TEST_PASSWORD)).status_code == 200
    await _fail(client, actor.username, below)  # would be locked had the success not cleared the count
    r = await login(client, actor.username, TEST_PASSWORD)
    assert r.status_code == 200, r.text
    assert (await client.get(ME_URL, headers=bearer(r.json()["access_token"]))).status_code == 200


async def test_disabled_user_failures_count(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.admin, "", is_active=False)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER):
        assert_problem(await login(client, actor.username, TEST_PASSWORD), 401)
    assert_throttled(await login(client, actor.username, TEST_PASSWORD))


async def test_malformed_login_is_not_counted(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_USER + 1):
        assert_problem(await client.post(TOKEN_URL, data={"username": actor.username}), 422)
    assert (await login(client, actor.username, TEST_PASSWORD)).status_code == 200


# --- the sliding window on the service clock -------------------------------------------------------------------


async def test_lock_ends_when_the_window_passes(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    window = timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    with frozen_clock(T0):
        await _fail(client, actor.username, settings.LOGIN_MAX_FAILURES_PER_USER)
        assert assert_throttled(await login(client, actor.username, TEST_PASSWORD)) == window.total_seconds()
    with frozen_clock(T0 + window - timedelta(seconds=1)):
        assert assert_throttled(await login(client, actor.username, TEST_PASSWORD)) == 1
    with frozen_clock(T0 + window):
        r = await login(client, actor.username, TEST_PASSWORD)
        assert r.status_code == 200, r.text
        assert (await client.get(ME_URL, headers=bearer(r.json()["access_token"]))).status_code == 200


async def test_window_slides(client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings) -> None:
    """Failures spread over the window: the lock lifts as the oldest one leaves it, one attempt at a time."""
    actor = await make_actor(Role.viewer, OWN_REGION)
    limit, window = settings.LOGIN_MAX_FAILURES_PER_USER, settings.LOGIN_WINDOW_SECONDS
    step = window // limit  # 60 s with the defaults
    for i in range(limit):
        with frozen_clock(T0 + timedelta(seconds=i * step)):
            await _fail(client, actor.username, 1)
    with frozen_clock(T0 + timedelta(seconds=(limit - 1) * step + 10)):
        expected = window - ((limit - 1) * step + 10)  # until the first failure leaves the window
        assert assert_throttled(await login(client, actor.username, WRONG)) == expected
    with frozen_clock(T0 + timedelta(seconds=window)):
        await _fail(client, actor.username, 1)  # one slot freed, used again at once
        assert assert_throttled(await login(client, actor.username, TEST_PASSWORD)) == step
    with frozen_clock(T0 + timedelta(seconds=window + step)):
        assert (await login(client, actor.username, TEST_PASSWORD)).status_code == 200


# --- per client IP ------------------------------------------------------------------------------------------------


async def test_client_ip_locked_after_max_failures(
    client_from: ClientFor, make_actor: ActorFactory, count_verifications: list[str]
) -> None:
    victim = await make_actor(Role.viewer, OWN_REGION)
    async with client_from("203.0.113.7") as attacker:
        with frozen_clock(T0):
            for i in range(3):  # LOGIN_MAX_FAILURES_PER_IP of the limited app, each on another username
                assert_problem(await login(attacker, f"guess-{i}", WRONG), 401)
            r = await login(attacker, victim.username, TEST_PASSWORD)
            assert assert_throttled(r) == 60  # the limited app's window
            assert "ip" in r.json()["detail"]
            assert len(count_verifications) == 3
            # X-Forwarded-For is not trusted: it does not make the caller someone else
            r = await attacker.post(
                TOKEN_URL,
                data={"username": victim.username, "password": TEST_PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"},
            )
            assert_throttled(r)
    async with client_from("198.51.100.9") as someone_else:
        with frozen_clock(T0):
            assert (await login(someone_else, victim.username, TEST_PASSWORD)).status_code == 200


async def test_success_does_not_clear_the_ip_failures(client_from: ClientFor, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    async with client_from("203.0.113.8") as c:
        for i in range(2):
            assert_problem(await login(c, f"guess-{i}", WRONG), 401)
        assert (await login(c, actor.username, TEST_PASSWORD)).status_code == 200
        assert_problem(await login(c, "guess-2", WRONG), 401)
        assert_throttled(await login(c, actor.username, TEST_PASSWORD))


async def test_ip_lock_ends_with_the_window(client_from: ClientFor, make_actor: ActorFactory) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    async with client_from("203.0.113.9") as c:
        with frozen_clock(T0):
            for i in range(3):
                assert_problem(await login(c, f"guess-{i}", WRONG), 401)
            assert_throttled(await login(c, actor.username, TEST_PASSWORD))
        with frozen_clock(T0 + timedelta(seconds=60)):
            assert (await login(c, actor.username, TEST_PASSWORD)).status_code == 200


async def test_each_app_has_its_own_throttle(
    client_from: ClientFor, limited_app: FastAPI, app: FastAPI, make_actor: ActorFactory
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    async with client_from("203.0.113.10") as c:
        for i in range(3):
            assert_problem(await login(c, f"guess-{i}", WRONG), 401)
        assert_throttled(await login(c, actor.username, TEST_PASSWORD))
    assert limited_app.state.login_throttle is not app.state.login_throttle
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        assert (await login(other, actor.username, TEST_PASSWORD)).status_code == 200


async def test_429_is_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    responses = spec["paths"][TOKEN_URL]["post"]["responses"]
    assert {"401", "422", "429"} <= set(responses)


# --- the store itself -----------------------------------------------------------------------------------------------


async def _fail_many(throttle: LoginThrottle, usernames: int, ip: str = "192.0.2.1") -> None:
    for i in range(usernames):
        await throttle.failed(f"user-{i}", ip)


async def test_memory_is_pruned_once_the_window_passes() -> None:
    throttle = LoginThrottle(max_per_user=5, max_per_ip=10_000, window_seconds=60)
    with frozen_clock(T0):
        await _fail_many(throttle, 1000)
        assert throttle.tracked() == (1000, 1)
    with frozen_clock(T0 + timedelta(seconds=61)):
        assert await throttle.check("anyone", "192.0.2.2") is None
        assert throttle.tracked() == (0, 0)


async def test_memory_is_bounded_within_the_window() -> None:
    throttle = LoginThrottle(max_per_user=5, max_per_ip=10_000, window_seconds=60, max_keys=100)
    with frozen_clock(T0):
        await _fail_many(throttle, 1000)
        assert throttle.tracked() == (100, 1)
        for _ in range(5):
            await throttle.failed("user-999", "192.0.2.1")
        assert await throttle.check("user-999", "192.0.2.3") is not None  # the most recent keys are kept


async def test_failures_per_key_are_capped_at_the_limit() -> None:
    throttle = LoginThrottle(max_per_user=3, max_per_ip=3, window_seconds=60)
    with frozen_clock(T0):
        for _ in range(1000):
            await throttle.failed("bob", "192.0.2.1")
    assert all(n == 3 for n in throttle._users.sizes().values())


async def test_huge_username_is_keyed_by_its_prefix() -> None:
    throttle = LoginThrottle(max_per_user=1, max_per_ip=100, window_seconds=60)
    with frozen_clock(T0):
        await throttle.failed("x" * 1_000_000, "192.0.2.1")
        assert await throttle.check("x" * 1_000_000, "192.0.2.2") is not None
        assert max(len(k) for k in throttle._users.sizes()) <= 256


async def test_clock_jumping_back_forgets_rather_than_locks_for_years() -> None:
    throttle = LoginThrottle(max_per_user=1, max_per_ip=100, window_seconds=60)
    with frozen_clock(T0):
        await throttle.failed("bob", "192.0.2.1")
        assert await throttle.check("bob", "192.0.2.1") is not None
    with frozen_clock(T0 - timedelta(days=365)):
        assert await throttle.check("bob", "192.0.2.1") is None


async def test_reset_forgets_everything() -> None:
    throttle = LoginThrottle(max_per_user=1, max_per_ip=1, window_seconds=60)
    await throttle.failed("bob", "192.0.2.1")
    assert await throttle.check("bob", "192.0.2.1") is not None
    await throttle.reset()
    assert await throttle.check("bob", "192.0.2.1") is None
    assert throttle.tracked() == (0, 0)
