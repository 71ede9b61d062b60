"""Field sync under stress (PostgreSQL) and crash safety (the embedded SQLite, and PostgreSQL when
`TEST_DATABASE_URL` is set), against the API running as a real process.

Stress: CLIENTS concurrent field apps (each its own connection pool) post PER_CLIENT inspections each, with
1–3 nested hazards and client-chosen ids; 20% are sent twice (half one after the other, half at the same
moment) and 10% have the connection dropped before the answer and are retried until acknowledged.
Afterwards, by SQL: stored = unique ids sent, each with exactly its hazards and one `create` history row
per hazard; no duplicate; no 5xx but the documented 503 + Retry-After of an exhausted pool (retried, counted).

Crash: the same kind of load (CRASH_PER_CLIENT posts per client); the server is killed with SIGKILL
mid-load, a new one starts on the same database, the clients retry what was not acknowledged. Right after
the kill and again at the end: every inspection acknowledged (200/201) is stored with all its hazards and
their history, and no inspection is stored half-written; on SQLite the file passes `PRAGMA integrity_check`
and `PRAGMA foreign_key_check` both times. Replays of acknowledged posts against the new server answer 200
with the same body.

Slow (marked `slow`, run by `.ci/run` as `make test-slow`); each test gets its own throwaway database (on
SQLite: its own temporary data directory, the embedded default `DATA_DIR/inspection-tracker.sqlite3`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path

import pytest

from tests.stress.harness import BACKENDS, TEST_DATABASE_URL, Server, running_server, seed, throwaway_store
from tests.stress.load import Tally, Target, answer_problems, check_store, plan_client, replay_all, run_load

pytestmark = pytest.mark.slow

CLIENTS = 50
PER_CLIENT = 40
# The crash run has the same shape with a quarter of the posts per client (the box has two loaded cores and
# a create costs ~25 ms of server CPU): 500 inspections, the kill after 150 acknowledgements lands mid-load,
# and a run stays under 90 s per database.
CRASH_PER_CLIENT = 10
KILL_AFTER_ACKS = 150


def _fail_if(problems: list[str], what: str, server: Server | None = None) -> None:
    if problems:
        tail = f"\nserver log:\n{server.log_tail()}" if server is not None else ""
        pytest.fail(f"{what}: {len(problems)} problems, e.g.\n" + "\n".join(problems[:20]) + tail)


@pytest.mark.skipif(
    TEST_DATABASE_URL is None,
    reason="needs PostgreSQL: set TEST_DATABASE_URL (a throwaway database is derived from it)",
)
async def test_field_sync_stress(tmp_path: Path) -> None:
    started = time.perf_counter()
    async with (
        throwaway_store("postgresql", tmp_path, "sync") as store,
        running_server(store.database_url, tmp_path, "server") as server,
    ):
        world = await seed(server)
        rng = random.Random(20240501)
        plans = [plan_client(rng, world, c, PER_CLIENT) for c in range(CLIENTS)]
        posts = {p.id: p for plan in plans for p in plan}
        tally = Tally()
        elapsed = await run_load(Target(server.base), plans, tally)
        stored, store_problems = await check_store(store, posts, set(posts), complete=True)
        not_dropped = {pid for pid, p in posts.items() if p.mode != "drop"}
        # A dropped post whose retry answered 200: the server had committed the request it could not answer.
        lost_201 = sum(1 for pid in posts.keys() - not_dropped if tally.created[pid] == 0)
        print(
            f"\nfield-sync stress: clients={CLIENTS} inspections={len(posts)} "
            f"hazards_sent={sum(len(p.body['hazards']) for p in posts.values())} {tally.summary()} "
            f"dropped_but_committed={lost_201} "
            f"{stored.summary()} load={elapsed:.1f}s total={time.perf_counter() - started:.1f}s"
        )
        _fail_if(answer_problems(posts, tally, exactly_one_201=not_dropped), "answers", server)
        _fail_if(store_problems, "stored rows", server)
        assert tally.server_errors == 0
        assert tally.transport_errors == 0, "only the dropped connections may fail"
        assert tally.drops > 0 and tally.duplicates == round(CLIENTS * PER_CLIENT * 0.2)
        assert stored.inspections == len(posts)


async def _cancel(task: asyncio.Task[float]) -> None:
    """Stop the load if a check failed before it ended (its own error was already reported, or is moot)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def _kill_when_acknowledged(
    server: Server, target: Target, tally: Tally, load: asyncio.Task[float], acks: int
) -> float:
    """SIGKILL the server once `acks` posts were acknowledged; the seconds into the load it happened."""
    start = time.perf_counter()
    while tally.acknowledged < acks:
        assert not load.done(), "the load finished before the kill"
        await asyncio.sleep(0.005)
    target.up.clear()  # clients wait for the new server instead of hammering a dead port
    await server.kill()
    return time.perf_counter() - start


@pytest.mark.parametrize("backend", BACKENDS)
async def test_kill_9_mid_load_loses_nothing_acknowledged(backend: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    async with throwaway_store(backend, tmp_path, "crash") as store, contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_server(store.database_url, tmp_path, "first"))
        world = await seed(first)
        seeded = time.perf_counter() - started
        rng = random.Random(20240502)
        plans = [plan_client(rng, world, c, CRASH_PER_CLIENT) for c in range(CLIENTS)]
        posts = {p.id: p for plan in plans for p in plan}
        tally = Tally()
        target = Target(first.base)
        load = asyncio.create_task(run_load(target, plans, tally))
        stack.push_async_callback(_cancel, load)  # on failure, before the servers stop
        killed_at = await _kill_when_acknowledged(first, target, tally, load, KILL_AFTER_ACKS)
        before = Tally(statuses=tally.statuses.copy(), requests=tally.requests)
        acked_before = set(tally.answers)
        # The database as the crash left it: nothing acknowledged is missing, nothing is half-written.
        at_crash, crash_problems = await check_store(store, posts, acked_before, complete=False)
        _fail_if(crash_problems, "rows right after kill -9", first)

        down = time.perf_counter()
        second = await stack.enter_async_context(running_server(store.database_url, tmp_path, "second"))
        down = time.perf_counter() - down
        target.base = second.base
        target.up.set()
        await load
        stored, store_problems = await check_store(store, posts, set(tally.answers), complete=True)
        replays = [posts[pid] for pid in sorted(acked_before)]
        replay_problems = await replay_all(target, replays, tally)
        print(
            f"\nfield-sync crash ({backend}): clients={CLIENTS} inspections={len(posts)} killed after "
            f"{killed_at:.1f}s with acknowledged={before.acknowledged} of requests={before.requests}; "
            f"at crash {at_crash.summary()}; final {tally.summary()} {stored.summary()}; "
            f"replayed_after_restart={len(replays)} seeded_after={seeded:.1f}s restart={down:.1f}s "
            f"total={time.perf_counter() - started:.1f}s"
        )
        _fail_if(answer_problems(posts, tally, exactly_one_201=set()), "answers", second)
        _fail_if(store_problems, "stored rows after restart", second)
        _fail_if(replay_problems, "replays after restart", second)
        assert tally.server_errors == 0
        assert at_crash.inspections >= len(acked_before) and stored.inspections == len(posts)
