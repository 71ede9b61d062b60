"""Shared benchmark plumbing: run the API as a real uvicorn process, read its memory, log in, drive it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

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
def server(
    database_url: str,
    *,
    cpu: int | None = None,
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
    factory: str = "app.main:create_app",
) -> Iterator[tuple[str, int]]:
    """One uvicorn worker serving the app (or another app `factory` answering /healthz); yields (base URL, pid).
    `cpu` pins it to one core; `env` adds settings (e.g. `DB_POOL_SIZE`)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(data_dir or ROOT / "data" / "bench"),
        # The deadline tick is measured on its own (bench/tick.py); inside a scenario's server its first run over
        # the generated data (minutes at 10,000,000 hazards) would load the machine during the measurement.
        "TICK_ENABLED": "false",
        **(env or {}),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
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
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a statement still running: the figures are taken, stop it hard
            proc.kill()
            proc.wait()


def admin_headers(database_url: str, base: str) -> dict[str, str]:
    """Create (once) a bench admin through the CLI and log in."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "create-user", "bench-admin", "--role", "admin", "--password-stdin"],
        input="bench-password-1\n",
        text=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "bench-admin", "password": "bench-password-1"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Driver:
    """A lean load driver: one keep-alive HTTP/1.1 connection on bare asyncio streams; send a request, read the
    status and the whole body. httpx costs about 2 ms of client time per request here, which would be counted
    against the API (bench/README.md)."""

    def __init__(self, host: str, port: int, auth: str) -> None:
        self.host, self.port, self.auth = host, port, auth

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def send(
        self,
        method: str,
        path: str,
        payload: bytes = b"",
        *,
        auth: str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request on the connection (`auth` replaces the driver's Authorization header for it, `headers`
        are sent besides); the status and the whole body. The answer's headers are kept in `last_headers`
        (lower-case names)."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {auth or self.auth}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n{extra}\r\n"
        )
        self.writer.write(head.encode() + payload)
        line = await self.reader.readline()
        if not line:  # the server closed the idle keep-alive connection (uvicorn: after 5 s): reconnect, resend
            self.writer.close()
            await self.open()
            self.writer.write(head.encode() + payload)
            line = await self.reader.readline()
        status = int(line.split()[1])
        length, chunked = 0, False
        self.last_headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            self.last_headers[name.strip().lower().decode()] = value.strip().decode()
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append((await self.reader.readexactly(size + 2))[:-2])
        await self.reader.readline()
        return status, b"".join(parts)

    async def get(self, path: str, params: dict[str, str] | None = None) -> bytes:
        """GET `path` with `params`; anything but 200 is an error."""
        target = f"{path}?{urlencode(params)}" if params else path
        status, body = await self.send("GET", target)
        if status != 200:
            raise RuntimeError(f"GET {target}: {status} {body[:200]!r}")
        return body

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
