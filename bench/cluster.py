"""A throw-away PostgreSQL primary and its streaming replica on free loopback ports (tests/scale, bench/scale.py).

`initdb` a primary (trust on loopback, replication allowed by initdb's own pg_hba), `pg_basebackup -R -X stream`
a replica from it, `pg_ctl` both; everything under one temporary folder, stopped and removed afterwards. Run as
root, the server programs run as the `postgres` user (PostgreSQL refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    root: Path
    bin: Path
    primary_port: int
    replica_port: int
    database: str = "it_scale"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{self.database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def psql(self, port: int, sql: str) -> str:
        out = self._run(
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            self.database,
            "-AtXq",
            "-c",
            sql,
        )
        return out.stdout.strip()

    def start(self, name: str) -> None:
        data = self.root / name
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / f"{name}.log"), "-w", "-t", "60", "start"
        )

    def stop(self, name: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / name), "-m", "fast", "-w", "stop", check=False)

    def wait_replica(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.psql(self.replica_port, "SELECT pg_is_in_recovery()") == "t":
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.2)
        raise RuntimeError((self.root / "replica.log").read_text(errors="replace"))


def _config(port: int, socket_dir: Path) -> str:
    return "\n".join(
        [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{socket_dir}'",
            "fsync = off",  # a throw-away cluster: durability buys the test nothing
            "synchronous_commit = off",
            "wal_level = replica",
            "max_wal_senders = 4",
            "wal_keep_size = '256MB'",  # a stopped replica catches up from the primary's WAL when started again
            "hot_standby = on",
            "max_connections = 60",
            "shared_buffers = '32MB'",
            "",
        ]
    )


@contextmanager
def primary_and_replica() -> Iterator[Cluster]:
    binary = pg_bin()
    if binary is None:
        raise RuntimeError("no PostgreSQL server programs under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="it-scale-"))
    cluster = Cluster(root, binary, free_port(), free_port())
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    try:
        cluster._run(
            str(binary / "initdb"),
            "-D",
            str(root / "primary"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        with (root / "primary" / "postgresql.conf").open("a") as conf:
            conf.write(_config(cluster.primary_port, root))
        cluster.start("primary")
        cluster._run(
            str(binary / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.primary_port),
            "-U",
            "postgres",
            cluster.database,
        )
        cluster._run(
            str(binary / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.primary_port),
            "-U",
            "postgres",
            "-D",
            str(root / "replica"),
            "-R",
            "-X",
            "stream",
            "--no-sync",
        )
        with (root / "replica" / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {cluster.replica_port}\n")
        cluster.start("replica")
        cluster.wait_replica()
        yield cluster
    finally:
        cluster.stop("replica")
        cluster.stop("primary")
        shutil.rmtree(root, ignore_errors=True)
