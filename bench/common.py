"""Shared benchmark plumbing: run the API as a real uvicorn process, read its memory, log in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789-abcdefghij"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@contextmanager
def server(database_url: str, *, cpu: int | None = None, data_dir: Path | None = None) -> Iterator[tuple[str, int]]:
    """One uvicorn worker serving the app; yields (base URL, pid). `cpu` pins it to one core."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
           "DATA_DIR": str(data_dir or ROOT / "data" / "bench")}
    cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not start")
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def admin_headers(database_url: str, base: str) -> dict[str, str]:
    """Create (once) a bench admin through the CLI and log in."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "create-user", "bench-admin", "--role", "admin", "--password-stdin"],
        input="bench-password-1\n", text=True, env=env, cwd=ROOT, capture_output=True, check=False)
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "bench-admin", "password": "bench-password-1"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
