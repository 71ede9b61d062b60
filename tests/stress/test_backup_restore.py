"""Backup while serving, restore into a fresh store: the same figures, the same evidence bytes.

Per database (the embedded SQLite; PostgreSQL too with `TEST_DATABASE_URL`): the 2023 Shizhu demo data set
(`seed-demo`) behind a real server, three evidence files uploaded; four field apps post 2024 inspections
before, while and after `inspection-tracker backup` runs as its own process. Then `restore` into a fresh
data directory (and, on PostgreSQL, a fresh database next to the test one) and a server on it:
- every inspection acknowledged before the backup started is there with all its hazards and history, some
  acknowledged after it are not (a snapshot from the middle of the writes), no inspection is half-written
  (on SQLite: `PRAGMA integrity_check` ok);
- the 2023 annual paragraph, summary and per-institution breakdown are identical to the original server's
  (and the paragraph reads the figures of the annual report); the 2024 summary counts exactly the restored
  inspections;
- every evidence download is byte-identical; on SQLite the generated signing key came along, so a token the
  original server issued is accepted by the restored one.

Slow (marked `slow`, run by `make test-slow`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import DEMO_PASSWORD
from app.demo import DEMO_ADMIN
from bench.common import ROOT
from tests.stress.harness import (
    BACKENDS,
    SECRET,
    TEST_DATABASE_URL,
    Region,
    Server,
    Store,
    World,
    running_server,
    throwaway_database,
    throwaway_store,
)
from tests.stress.load import Tally, Target, check_store, plan_client, run_load

pytestmark = pytest.mark.slow

# Four field apps with more posts than they get to send: they keep writing through the backup and stop
# AFTER_BACKUP_ACKS acknowledgements after it.
CLIENTS, PER_CLIENT = 4, 150
BACKUP_AFTER_ACKS, AFTER_BACKUP_ACKS = 20, 10
EVIDENCE = (
    ("exit.png", b"\x89PNG\r\n\x1a\n" + os.urandom(3000)),
    ("report.pdf", b"%PDF-1.4\n" + os.urandom(5000)),
    ("kitchen.jpg", b"\xff\xd8\xff\xe0" + os.urandom(7000)),
)
YEAR_2023 = {"from": "2023-01-01", "to": "2023-12-31"}


async def cli(env: dict[str, str], *args: str) -> str:
    """`python -m app.cli ARGS` as its own process; its output (fails the test on a non-zero exit)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"{args[0]} exited {proc.returncode}:\n{text}"
    return text


@asynccontextmanager
async def fresh_target(backend: str, data_dir: Path) -> AsyncIterator[Store]:
    """Where to restore: a data directory that does not exist yet (SQLite), or a new migrated, empty
    database next to the test one (PostgreSQL)."""
    if backend == "sqlite":
        yield Store(backend, None, data_dir)
        return
    assert TEST_DATABASE_URL is not None
    async with throwaway_database(TEST_DATABASE_URL, "restore") as url:
        yield Store(backend, url, data_dir)


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response.content


async def login(http: httpx.AsyncClient) -> dict[str, str]:
    r = await http.post("/api/v1/auth/token", data={"username": DEMO_ADMIN, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {(await ok(r))['access_token']}"}


async def demo_world(http: httpx.AsyncClient, admin: dict[str, str]) -> World:
    """The demo institutions and the officers certified all through 2024, as one region of field apps."""
    institutions = (await ok(await http.get("/api/v1/institutions?limit=100", headers=admin)))["items"]
    officers = [
        o["id"]
        for o in (await ok(await http.get("/api/v1/officers?limit=100", headers=admin)))["items"]
        if o["certificate_status"] == "valid"
        and o["certificate_issued_on"]
        and date.fromisoformat(o["certificate_issued_on"]) <= date(2024, 1, 1)
        and date.fromisoformat(o["certificate_expires_on"]) >= date(2024, 12, 31)
    ]
    assert len(institutions) >= 10 and len(officers) >= 4
    region = Region("500240", [i["id"] for i in institutions], officers, officers[0], admin)
    return World(admin, [region])


async def attach_evidence(http: httpx.AsyncClient, admin: dict[str, str]) -> list[tuple[str, bytes]]:
    """One file on each of three demo hazards; their download paths and bytes."""
    hazards = (await ok(await http.get("/api/v1/hazards?limit=3", headers=admin)))["items"]
    files = []
    for hazard, (name, data) in zip(hazards, EVIDENCE, strict=True):
        path = f"/api/v1/hazards/{hazard['id']}/evidence"
        created = await ok(await http.post(path, files={"file": (name, data)}, headers=admin), 201)
        files.append((f"{path}/{created['id']}", data))
    return files


async def figures(http: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    annual = await http.get("/api/v1/reports/annual?year=2023", headers=admin)
    assert annual.status_code == 200, annual.text
    return {
        "annual": annual.text,
        "summary": await ok(await http.get("/api/v1/reports/summary", params=YEAR_2023, headers=admin)),
        "breakdown": await ok(
            await http.get("/api/v1/reports/breakdown", params={**YEAR_2023, "group_by": "institution"}, headers=admin)
        ),
    }


@pytest.mark.parametrize("backend", BACKENDS)
async def test_backup_while_serving_restores_the_same_figures_and_files(backend: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    key = None if backend == "sqlite" else SECRET  # SQLite: the embedded default generates its own key
    archive = tmp_path / "backup.tar"
    async with (
        throwaway_store(backend, tmp_path / "source", "backup") as source,
        fresh_target(backend, tmp_path / "restored") as target,
        contextlib.AsyncExitStack() as stack,
    ):
        source_env = Server(source.database_url, source.data_dir, "cli", key).env()
        await cli(source_env, "seed-demo")
        origin = await stack.enter_async_context(running_server(source.database_url, source.data_dir, "origin", key))
        async with httpx.AsyncClient(base_url=origin.base, timeout=60) as http:
            admin = await login(http)
            files = await attach_evidence(http, admin)
            world = await demo_world(http, admin)
            rng = random.Random(20240601)
            plans = [plan_client(rng, world, c, PER_CLIENT) for c in range(CLIENTS)]
            posts = {p.id: p for plan in plans for p in plan}
            tally = Tally()
            load = asyncio.create_task(run_load(Target(origin.base), plans, tally, limit_s=300))
            stack.callback(load.cancel)  # on a failure, before the server stops
            while tally.acknowledged < BACKUP_AFTER_ACKS:
                assert not load.done(), "the load finished before the backup"
                await asyncio.sleep(0.01)
            acked_before, acks_at_start = set(tally.answers), tally.acknowledged
            backup_started = time.perf_counter()
            backed_up = await cli(source_env, "backup", str(archive))
            backup_s, acks_during = time.perf_counter() - backup_started, tally.acknowledged - acks_at_start
            acks_after = tally.acknowledged
            async with asyncio.timeout(120):  # the writes go on after the backup, then the field apps stop
                while tally.acknowledged < acks_after + AFTER_BACKUP_ACKS:
                    assert not load.done(), "the load finished before the backup did"
                    await asyncio.sleep(0.01)
            load.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await load
            acknowledged = set(tally.answers)
            before = await figures(http, admin)
        await stack.aclose()  # the original server stops; its store is left as it is

        target_env = Server(target.database_url, target.data_dir, "cli", key).env()
        restored_out = await cli(target_env, "restore", str(archive))
        stored, problems = await check_store(target, posts, acked_before, complete=False, others=True)
        assert problems == [], problems[:20]
        # A snapshot from the middle of the writes: all acknowledged before it, not all acknowledged after it.
        assert len(acked_before) <= stored.inspections < len(acknowledged)

        restored = await stack.enter_async_context(running_server(target.database_url, target.data_dir, "new", key))
        async with httpx.AsyncClient(base_url=restored.base, timeout=60) as http:
            admin_again = await login(http)
            after = await figures(http, admin_again)
            assert after == before
            assert "累计检查56次" in after["annual"] and "累计检查111次" in after["annual"]
            assert "目前有持证执法人员17人" in after["annual"]
            summary_2024 = await ok(
                await http.get(
                    "/api/v1/reports/summary", params={"from": "2024-01-01", "to": "2024-12-31"}, headers=admin_again
                )
            )
            assert sum(k["inspections"] for k in summary_2024["kinds"]) == stored.inspections
            for path, data in files:
                download = await http.get(path, headers=admin_again)
                assert download.status_code == 200 and download.content == data, path
            if backend == "sqlite":  # the signing key came with the backup: old tokens still verify
                assert (target.data_dir / "secret_key").read_bytes() == (source.data_dir / "secret_key").read_bytes()
                assert (await http.get("/api/v1/users/me", headers=admin)).status_code == 200
        print(
            f"\nbackup/restore ({backend}): {backed_up.strip()} in {backup_s:.1f}s with {acks_during} posts "
            f"acknowledged meanwhile; acknowledged before it {len(acked_before)}, restored "
            f"{stored.summary()} of {len(acknowledged)} acknowledged in all; {restored_out.strip()}; "
            f"total={time.perf_counter() - started:.1f}s"
        )
