"""Evidence files: content-checked, size-limited, stored once by SHA-256 under `DATA_DIR/evidence/`.

Rules:
- The type is decided by the file's first bytes, not by its name or declared type: JPEG, PNG, WebP, PDF
  (anything else is 415).
- A file larger than `EVIDENCE_MAX_BYTES` is 413; it is streamed to a temporary file while hashed and
  never held in memory whole.
- The same bytes attached to the same hazard again answer the existing record (200); attached elsewhere
  they get a new record but the same stored file.
- Files are written to a temporary name and renamed into place, so a crash never leaves half a file
  under a hash name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core import clock
from app.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from app.core.pagination import page_of, paginate
from app.hazards.models import Evidence
from app.hazards.queries import hazard_context
from app.hazards.schemas import EvidenceRead

CHUNK = 256 * 1024

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# Every type `sniff_type` can answer, so every type a download can be served as.
EVIDENCE_TYPES: tuple[str, ...] = (*(content_type for _, content_type in _SIGNATURES), "image/webp")


class AsyncReadable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


def sniff_type(head: bytes) -> str | None:
    """The content type from a file's first bytes, if it is one we accept."""
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def blob_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "evidence" / sha256[:2] / sha256


def read_evidence(evidence: Evidence) -> EvidenceRead:
    return EvidenceRead(
        id=evidence.id,
        hazard_id=evidence.hazard_id,
        filename=evidence.filename,
        content_type=evidence.content_type,
        size=evidence.size,
        sha256=evidence.sha256,
        uploaded_by=evidence.uploaded_by_name,
        created_at=evidence.created_at,
    )


async def _store_blob(upload: AsyncReadable, data_dir: Path, max_bytes: int) -> tuple[str, int, str]:
    """Stream the upload into the store; returns (sha256, size, content type)."""
    tmp_dir = data_dir / "evidence" / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    content_type: str | None = None
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                if content_type is None:
                    content_type = sniff_type(chunk[:16])
                    if content_type is None:
                        raise UnsupportedMediaType(
                            "evidence must be a JPEG, PNG, WebP or PDF file (checked by content, not by name)"
                        )
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"evidence file exceeds {max_bytes} bytes (EVIDENCE_MAX_BYTES)")
                digest.update(chunk)
                await anyio.to_thread.run_sync(out.write, chunk)
            out.flush()
            await anyio.to_thread.run_sync(os.fsync, out.fileno())
        if content_type is None:
            raise UnsupportedMediaType("evidence file is empty")
        sha = digest.hexdigest()
        final = blob_path(data_dir, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, final)
        return sha, size, content_type
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _clean_filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(c for c in base if c.isprintable())[:255]
    return cleaned or "evidence"


async def store_evidence(
    session: AsyncSession,
    hazard_id: uuid.UUID,
    upload: AsyncReadable,
    filename: str | None,
    actor: Principal,
    data_dir: Path,
    max_bytes: int,
) -> tuple[EvidenceRead, bool]:
    """Store the file and add its row (flushed in a SAVEPOINT, not committed: the service commits);
    (record, True) when new, (existing record, False) for the same bytes again."""
    await hazard_context(session, hazard_id, actor)
    sha, size, content_type = await _store_blob(upload, data_dir, max_bytes)
    existing = await session.scalar(select(Evidence).where(Evidence.hazard_id == hazard_id, Evidence.sha256 == sha))
    if existing is not None:
        return read_evidence(existing), False
    evidence = Evidence(
        hazard_id=hazard_id,
        sha256=sha,
        size=size,
        content_type=content_type,
        filename=_clean_filename(filename),
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.name,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(evidence)
            await session.flush()
    except IntegrityError:  # the same file attached concurrently: answer the twin's record
        twin = await session.scalar(select(Evidence).where(Evidence.hazard_id == hazard_id, Evidence.sha256 == sha))
        if twin is None:
            raise
        return read_evidence(twin), False
    return read_evidence(evidence), True


async def list_evidence(
    session: AsyncSession, hazard_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[EvidenceRead], str | None]:
    """Oldest first."""
    await hazard_context(session, hazard_id, actor)
    stmt = paginate(
        select(Evidence).where(Evidence.hazard_id == hazard_id),
        [Evidence.created_at, Evidence.id],
        cursor,
        limit,
        parse=[datetime, uuid.UUID],
    )
    rows = (await session.execute(stmt)).scalars().all()
    page, next_cursor = page_of(rows, limit, lambda e: [e.created_at, e.id])
    return [read_evidence(e) for e in page], next_cursor


async def get_evidence_file(
    session: AsyncSession, hazard_id: uuid.UUID, evidence_id: uuid.UUID, actor: Principal, data_dir: Path
) -> tuple[Evidence, Path]:
    await hazard_context(session, hazard_id, actor)
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None or evidence.hazard_id != hazard_id:
        raise NotFound(f"evidence {evidence_id} not found on hazard {hazard_id}")
    path = blob_path(data_dir, evidence.sha256)
    if not path.is_file():
        raise NotFound(f"the file of evidence {evidence_id} is missing from the store")
    return evidence, path


async def unknown_evidence(session: AsyncSession, hazard_id: uuid.UUID, ids: list[uuid.UUID]) -> list[int]:
    """Positions in `ids` that are not evidence of this hazard."""
    if not ids:
        return []
    known = set(
        (
            await session.execute(select(Evidence.id).where(Evidence.hazard_id == hazard_id, Evidence.id.in_(ids)))
        ).scalars()
    )
    return [i for i, e in enumerate(ids) if e not in known]
