"""A real `inspection-tracker serve` (the command `make run` runs) on a free loopback port, for tests that need
a real HTTP server: the embedded SQLite database in a fresh folder, stopped when the block ends."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core.config import Settings
from bench.common import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90.0


def _die_with_parent() -> None:
    """In the child: SIGKILL it when the test process dies (no orphan server if pytest is killed)."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextmanager
def serve(folder: Path, *args: str, **env: str) -> Iterator[str]:
    """Run `serve` with its working directory and DATA_DIR in `folder` (a `.env` there is read), the given
    settings as environment variables (none inherited) and extra `args` (e.g. "--workers", "2"); yield its base
    URL once /readyz answers 200."""
    with serve_at(folder, free_port(), *args, **env) as base:
        yield base


@contextmanager
def serve_at(folder: Path, port: int, *args: str, **env: str) -> Iterator[str]:
    """`serve` on a given port: a restart on the same port keeps the browser's origin (its service worker and
    IndexedDB)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    environ = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}  # settings: only ours
    environ.update({"DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env})
    with log_path.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 (our own CLI)
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=folder,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_ready(proc, base, log_path)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                if http.get(f"{base}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {START_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")


def seed_demo(folder: Path, admin_password: str) -> None:
    """`seed-demo` into `folder`'s DATA_DIR (the embedded SQLite store a later `serve(folder)` uses): the 2023
    Shizhu data set (500240) and the demo admin with `admin_password`."""
    environ = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    environ.update({"DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
    subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "-m", "app.cli", "seed-demo", "--admin-password", admin_password],
        cwd=folder,
        env=environ,
        check=True,
        capture_output=True,
        timeout=300,
    )
