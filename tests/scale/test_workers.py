"""The login throttle holds across worker processes (issue 20): N failed logins in total, not N per worker,
whether two servers share one PostgreSQL database, `serve --workers 2` runs on it, or servers share Redis."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bench.cluster import Cluster, pg_bin
from tests.serving import ROOT, serve

pytestmark = [pytest.mark.slow]

SECRET = "workers-test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery"
PER_USER = 5
REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {"SECRET_KEY": SECRET, "LOGIN_MAX_FAILURES_PER_USER": str(PER_USER), **extra}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _create_user(username: str, env: dict[str, str], cwd: Path) -> None:
    subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "-m", "app.cli", "create-user", username, "--role", "viewer", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
    )


def _attempts(bases: list[str], username: str, times: int) -> Counter[int]:
    """`times` wrong logins, round-robin over `bases`, each on a new connection; then the right password."""
    answers: Counter[int] = Counter()
    for i in range(times):
        with httpx.Client(base_url=bases[i % len(bases)], timeout=30) as http:
            r = http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD + "x"})
            answers[r.status_code] += 1
            if r.status_code == 429:
                assert 1 <= int(r.headers["retry-after"]) <= 300
    for base in bases:  # locked everywhere, even for the right password
        with httpx.Client(base_url=base, timeout=30) as http:
            r = http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 429, r.text
    return answers


@pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server programs are not installed")
def test_two_servers_on_one_postgresql_share_the_limit(cluster: Cluster, tmp_path: Path) -> None:
    env = _env(cluster.primary_url)
    with serve(tmp_path / "a", **env) as a, serve(tmp_path / "b", **env) as b:
        _create_user("shared.pg", env, tmp_path)
        assert _attempts([a, b], "shared.pg", 4 * PER_USER) == {401: PER_USER, 429: 3 * PER_USER}


@pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server programs are not installed")
def test_serve_with_two_workers_shares_the_limit(cluster: Cluster, tmp_path: Path) -> None:
    env = _env(cluster.primary_url)
    with serve(tmp_path / "w", "--workers", "2", **env) as base:
        _create_user("workers.pg", env, tmp_path)
        assert _attempts([base], "workers.pg", 4 * PER_USER) == {401: PER_USER, 429: 3 * PER_USER}


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_servers_on_redis_share_the_limit(tmp_path: Path) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # database 14 of the loopback Redis is this test's own
    client.close()
    # two embedded SQLite databases, one Redis: only Redis can make them agree
    with (
        serve(tmp_path / "a", **_env(REDIS_URL=REDIS_URL)) as a,
        serve(tmp_path / "b", **_env(REDIS_URL=REDIS_URL)) as b,
    ):
        for folder in ("a", "b"):
            _create_user("shared.redis", {"DATA_DIR": str(tmp_path / folder / "data"), "SECRET_KEY": SECRET}, tmp_path)
        assert _attempts([a, b], "shared.redis", 4 * PER_USER) == {401: PER_USER, 429: 3 * PER_USER}
        # and the public rate limit (limits' moving window) too: 60 a minute per IP across both
        statuses: Counter[int] = Counter()
        for i in range(70):
            with httpx.Client(base_url=[a, b][i % 2], timeout=30) as http:
                statuses[http.get("/api/v1/public/inspections?year=2024&region_code=50").status_code] += 1
        assert statuses == {200: 60, 429: 10}
