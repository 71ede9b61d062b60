"""Parallel logins: an attempt is counted when it starts, so simultaneous attempts cannot get past the limit,
and only LOGIN_MAX_CONCURRENT_VERIFICATIONS passwords are checked at once, without holding a database
connection while they wait (issue 13, item 2)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from app.auth import service
from app.auth.models import Role
from app.core.config import Settings
from app.db.session import Database
from tests.auth.helpers import ME_URL, assert_problem, bearer, login
from tests.auth.test_throttle import assert_throttled
from tests.conftest import OWN_REGION, TEST_PASSWORD, ActorFactory

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

WRONG = TEST_PASSWORD + "x"
PARALLEL = 50
WAIT_S = 10.0  # bound of every wait below; the waits normally end in milliseconds


class GatedVerify:
    """Stands in for argon2: counts the checks and the most running at once, and holds every check (in its
    worker thread) until the test opens the gate, so all attempts are in flight together."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def __call__(self, password: str, password_hash: str | None) -> bool:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if not self.gate.wait(timeout=WAIT_S):
                raise TimeoutError("the test never opened the gate")
            return password_hash is not None and password == TEST_PASSWORD
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> GatedVerify:
    fake = GatedVerify()
    monkeypatch.setattr(service, "verify_password", fake)
    return fake


async def _until(condition: Callable[[], bool]) -> None:
    """Poll the event loop until `condition` holds (at most WAIT_S)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def test_parallel_wrong_logins_check_at_most_the_limit(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings, gated: GatedVerify
) -> None:
    actor = await make_actor(Role.viewer, OWN_REGION)
    limit = settings.LOGIN_MAX_FAILURES_PER_USER
    tasks = [asyncio.create_task(login(client, actor.username, WRONG)) for _ in range(PARALLEL)]
    # While the first checks are held, every attempt past the limit is already answered.
    await _until(lambda: sum(t.done() for t in tasks) >= PARALLEL - limit)
    await asyncio.sleep(0.05)
    assert sum(t.done() for t in tasks) == PARALLEL - limit
    assert gated.calls <= limit
    gated.gate.set()
    answers = await asyncio.gather(*tasks)
    assert Counter(r.status_code for r in answers) == {401: limit, 429: PARALLEL - limit}
    for r in answers:
        if r.status_code == 429:
            assert_throttled(r, at_most=settings.LOGIN_WINDOW_SECONDS)
        else:
            assert_problem(r, 401)
    assert gated.calls == limit
    assert gated.max_in_flight <= settings.LOGIN_MAX_CONCURRENT_VERIFICATIONS
    # the right password within the lock window is refused too, without a check
    assert_throttled(await login(client, actor.username, TEST_PASSWORD))
    assert gated.calls == limit


async def test_owner_logging_in_amid_a_burst(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings, gated: GatedVerify
) -> None:
    """The owner's attempt started first is one of the counted ones; the burst still gets only the rest."""
    actor = await make_actor(Role.viewer, OWN_REGION)
    limit = settings.LOGIN_MAX_FAILURES_PER_USER
    owner = asyncio.create_task(login(client, actor.username, TEST_PASSWORD))
    await _until(lambda: gated.calls == 1)
    burst = [asyncio.create_task(login(client, actor.username, WRONG)) for _ in range(PARALLEL - 1)]
    await _until(lambda: sum(t.done() for t in burst) >= PARALLEL - limit)
    gated.gate.set()
    answers = await asyncio.gather(owner, *burst)
    assert gated.calls == limit
    assert answers[0].status_code == 200, answers[0].text
    assert (await client.get(ME_URL, headers=bearer(answers[0].json()["access_token"]))).status_code == 200
    assert Counter(r.status_code for r in answers[1:]) == {401: limit - 1, 429: PARALLEL - limit}


async def test_password_checks_are_bounded_across_users(
    client: httpx.AsyncClient, make_actor: ActorFactory, settings: Settings, gated: GatedVerify, clean_db: Database
) -> None:
    """Twenty logins for twenty users at once: only the configured few run argon2, the rest queue, and none
    of them holds a pooled database connection while it waits."""
    bound = settings.LOGIN_MAX_CONCURRENT_VERIFICATIONS
    users = [await make_actor(Role.viewer, OWN_REGION) for _ in range(10)]
    names = [u.username for u in users] + [f"nobody-{i}" for i in range(10)]
    tasks = [asyncio.create_task(login(client, name, TEST_PASSWORD)) for name in names]
    pool = clean_db.engine.pool
    await _until(lambda: gated.in_flight == bound)
    # The lookups finish and hand their connections back while the checks are still held.
    await _until(lambda: pool.checkedout() == 0)  # type: ignore[attr-defined]
    await asyncio.sleep(0.2)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert (gated.calls, gated.in_flight) == (bound, bound)
    assert not any(t.done() for t in tasks)
    gated.gate.set()
    answers = await asyncio.gather(*tasks)
    assert [r.status_code for r in answers] == [200] * 10 + [401] * 10
    assert gated.calls == len(names)
    assert gated.max_in_flight == bound
