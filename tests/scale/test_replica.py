"""A real streaming replica (issue 20): reports and lists read there, a writer reads its own writes while the
replica's replay is paused, a lagging or stopped replica is skipped (reads still answered, /readyz 200 and
degraded, one log line per change of state) and used again once it is back.

Real processes on loopback: a PostgreSQL primary and replica of their own (tests/scale/cluster.py) and
`inspection-tracker serve` on them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.db.replica import CONSISTENCY_HEADER, READ_FROM_HEADER
from bench.cluster import Cluster, pg_bin
from tests.serving import ROOT, serve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server programs are not installed"),
]

SECRET = "replica-test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery"
MAX_LAG = 4.0
SUMMARY = "/api/v1/reports/summary"
INSTITUTIONS = "/api/v1/institutions"


@pytest.fixture(scope="module")
def server(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("replica-server")
    env = {
        "DATABASE_URL": cluster.primary_url,
        "DATABASE_REPLICA_URL": cluster.replica_url,
        "SECRET_KEY": SECRET,
        "REPLICA_CHECK_SECONDS": "0.3",
        "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
    }
    with serve(folder, **env) as base:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "create-user", "admin", "--role", "admin", "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
            cwd=ROOT,
            env={"DATABASE_URL": cluster.primary_url, "SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"},
        )
        yield base, folder / "server.log"


@pytest.fixture(scope="module")
def http(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    base, _log = server
    with httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client


def _until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _new_institution(http: httpx.Client, name: str) -> str:
    r = http.post(INSTITUTIONS, json={"name": name, "kind": "elderly_care", "region_code": "500240"})
    assert r.status_code == 201, r.text
    token = r.headers[CONSISTENCY_HEADER]
    assert "/" in token
    return token


def _elderly_total(r: httpx.Response) -> int:
    assert r.status_code == 200, r.text
    return int(next(k["institutions_total"] for k in r.json()["kinds"] if k["kind"] == "elderly_care"))


def _names(r: httpx.Response) -> set[str]:
    assert r.status_code == 200, r.text
    return {item["name"] for item in r.json()["items"]}


def _replica_state(http: httpx.Client) -> str:
    r = http.get("/readyz")
    assert r.status_code == 200, r.text
    return str(r.json()["replica"])


def _institution_scans(cluster: Cluster, port: int) -> int:
    """Sequential plus index scans of `institutions` counted by the server on `port` (each keeps its own)."""
    query = (
        "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables "
        "WHERE relname = 'institutions'"
    )
    return int(cluster.psql(port, query))


def test_reports_and_lists_read_from_the_replica(cluster: Cluster, http: httpx.Client) -> None:
    token = _new_institution(http, "副本读取敬老院")
    _until(lambda: cluster.psql(cluster.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{token}'") == "t")
    scans_before = _institution_scans(cluster, cluster.replica_port)
    r = http.get(SUMMARY)
    assert r.headers[READ_FROM_HEADER] == "replica"
    assert _elderly_total(r) == 1
    r = http.get(INSTITUTIONS)
    assert r.headers[READ_FROM_HEADER] == "replica"
    assert "副本读取敬老院" in _names(r)
    # the replica's own view: its statistics count the scans of `institutions` the report and the list made there
    # (pg_stat_activity shows only each connection's last statement, often the pool's ROLLBACK; statistics are
    # flushed within about a second)
    _until(lambda: _institution_scans(cluster, cluster.replica_port) > scans_before)
    assert _replica_state(http) == "ok"


def test_a_writer_reads_its_own_write_while_replay_is_paused(cluster: Cluster, http: httpx.Client) -> None:
    before = _elderly_total(http.get(SUMMARY))
    cluster.psql(cluster.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        token = _new_institution(http, "暂停回放敬老院")
        mine = http.get(SUMMARY, headers={CONSISTENCY_HEADER: token})
        assert mine.headers[READ_FROM_HEADER] == "primary"
        assert _elderly_total(mine) == before + 1
        assert "暂停回放敬老院" in _names(http.get(INSTITUTIONS, headers={CONSISTENCY_HEADER: token}))
        others = http.get(SUMMARY)  # another caller, no token: the replica, which has not replayed it yet
        assert others.headers[READ_FROM_HEADER] == "replica"
        assert _elderly_total(others) == before
        assert "暂停回放敬老院" not in _names(http.get(INSTITUTIONS))
        # a malformed token is no reason to trust the replica
        assert http.get(SUMMARY, headers={CONSISTENCY_HEADER: "nonsense"}).headers[READ_FROM_HEADER] == "primary"
    finally:
        cluster.psql(cluster.replica_port, "SELECT pg_wal_replay_resume()")
    # replayed: the same token now reads from the replica, and sees the write there
    _until(lambda: http.get(SUMMARY, headers={CONSISTENCY_HEADER: token}).headers[READ_FROM_HEADER] == "replica")
    assert _elderly_total(http.get(SUMMARY, headers={CONSISTENCY_HEADER: token})) == before + 1


def _log_lines(log: Path, text: str) -> int:
    return sum(text in line for line in log.read_text(errors="replace").splitlines())


def test_a_lagging_replica_is_skipped_then_used_again(
    cluster: Cluster, http: httpx.Client, server: tuple[str, Path]
) -> None:
    _base, log = server
    lagging_before = _log_lines(log, "read replica not used (lagging")
    cluster.psql(cluster.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        _new_institution(http, "滞后敬老院")
        _until(lambda: _replica_state(http).startswith("degraded: lagging"), timeout=MAX_LAG * 5)
        for _ in range(20):  # every read still answered, from the primary, with all the writes
            r = http.get(INSTITUTIONS)
            assert r.headers[READ_FROM_HEADER] == "primary"
            assert "滞后敬老院" in _names(r)
    finally:
        cluster.psql(cluster.replica_port, "SELECT pg_wal_replay_resume()")
    _until(lambda: _replica_state(http) == "ok")
    assert http.get(INSTITUTIONS).headers[READ_FROM_HEADER] == "replica"
    assert _log_lines(log, "read replica not used (lagging") == lagging_before + 1  # once, not per request


def test_a_stopped_replica_is_skipped_then_used_again(
    cluster: Cluster, http: httpx.Client, server: tuple[str, Path]
) -> None:
    _base, log = server
    down_before = _log_lines(log, "read replica not used (unreachable")
    healthy_before = _log_lines(log, "read replica healthy")
    cluster.stop("replica")
    try:
        for _ in range(20):
            r = http.get(SUMMARY)
            assert r.status_code == 200, r.text
            assert r.headers[READ_FROM_HEADER] == "primary"
            assert http.get(INSTITUTIONS).status_code == 200
        assert http.get("/api/v1/exports/hazards.csv").status_code == 200
        assert _replica_state(http).startswith("degraded: unreachable")
        _new_institution(http, "副本停机时写入敬老院")  # writes never needed the replica
    finally:
        cluster.start("replica")
    cluster.wait_replica()
    _until(lambda: _replica_state(http) == "ok")
    r = http.get(INSTITUTIONS)
    assert r.headers[READ_FROM_HEADER] == "replica"
    _until(lambda: "副本停机时写入敬老院" in _names(http.get(INSTITUTIONS)))  # it caught up from the primary's WAL
    assert _log_lines(log, "read replica not used (unreachable") == down_before + 1
    assert _log_lines(log, "read replica healthy") == healthy_before + 1
