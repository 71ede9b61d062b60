"""Exports are spooled: written whole inside one short database transaction, then sent from a temporary file.

Rules:
- A ledger is written to a temporary file (in memory up to SPOOL_MEMORY_BYTES, beyond on disk under
  `DATA_DIR/exports`) while its database session is open; the session is closed, and its connection back in the
  pool, before the first byte is sent. A client that reads slowly, or not at all, holds a file, never a
  database connection (nor a transaction left `idle in transaction`).
- At most `EXPORT_CONCURRENCY` ledgers are written at once per process; later ones wait their turn. Writing is
  what takes database connections, so a burst of exports cannot take the pool from every other request.
- At most `EXPORTS_PER_CREDENTIAL` exports per credential (a user or an API key) are in flight, from the
  request until its last byte is sent or its connection is lost; beyond, 429 with `Retry-After`.
- The file is closed (and so deleted) and the credential's slot given back whatever ends the response:
  the last byte sent, the client gone, the send timeout (`app.core.middleware.SendTimeoutMiddleware`).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import anyio
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.auth.principals import Principal
from app.core.errors import TooManyRequests

SPOOL_MEMORY_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024
RETRY_AFTER_SECONDS = 10

Writer = Callable[[IO[bytes]], Awaitable[None]]


class ExportGate:
    """Per process: the exports being written (a semaphore) and the exports in flight per credential."""

    def __init__(self, concurrency: int, per_credential: int) -> None:
        self._writing = asyncio.Semaphore(concurrency)
        self.per_credential = per_credential
        self._in_flight: Counter[str] = Counter()

    @staticmethod
    def _key(principal: Principal) -> str:
        return f"{principal.kind}:{principal.id}"

    def in_flight(self, principal: Principal) -> int:
        return self._in_flight[self._key(principal)]

    def claim(self, principal: Principal) -> Callable[[], None]:
        """Take one of the credential's export slots (429 when all are taken); returns the function that gives
        it back (calling it again does nothing)."""
        key = self._key(principal)
        if self._in_flight[key] >= self.per_credential:
            raise TooManyRequests(
                f"this credential already has {self.per_credential} exports in progress "
                f"(EXPORTS_PER_CREDENTIAL); retry in {RETRY_AFTER_SECONDS} s",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self._in_flight[key] += 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]

        return release

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async with self._writing:
            yield


class SpooledResponse(Response):
    """Sends a spooled file (its size as `Content-Length`), then closes it and calls `release`, however the
    sending ends."""

    def __init__(
        self,
        file: IO[bytes],
        size: int,
        release: Callable[[], None],
        *,
        media_type: str,
        headers: dict[str, str],
        status_code: int = 200,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(
            content=None,
            status_code=status_code,
            media_type=media_type,
            headers={**headers, "content-length": str(size)},
            background=background,
        )
        self.file = file
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            while chunk := await anyio.to_thread.run_sync(self.file.read, CHUNK_BYTES):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.file.close()
            self.release()
        if self.background is not None:
            await self.background()


async def spooled(
    gate: ExportGate,
    principal: Principal,
    directory: Path,
    write: Writer,
    *,
    media_type: str,
    headers: dict[str, str],
) -> SpooledResponse:
    """Claim the credential's slot, write the export with `write` (its own database session, closed when it
    returns) into a temporary file, and answer with that file. Any failure gives the slot back and deletes
    the file, so it answers as the error it is (problem+json)."""
    release = gate.claim(principal)
    try:
        await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
        file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, dir=str(directory))  # noqa: SIM115
        try:
            async with gate.writing():
                await write(file)
            size = file.seek(0, 2)
            file.seek(0)
        except BaseException:
            file.close()
            raise
    except BaseException:
        release()
        raise
    return SpooledResponse(file, size, release, media_type=media_type, headers=headers)
