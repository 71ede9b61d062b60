"""The file between the import preview and 确认导入: kept on the server, named by a signed token.

Rules:
- 上传预览 writes the uploaded bytes to `DATA_DIR/import-uploads/<random id>` and hands the page a token
  `<id>.<kind>.<expires>.<signature>`: HMAC-SHA256 under the secret key over the id, the kind, the expiry and
  the user's id. The page posts only the token back; the file never travels twice.
- A token is good for KEEP_MINUTES (15), for the user who uploaded and the kind previewed; a forged, foreign or
  expired token, or a file already confirmed (deleted) or swept, reads as None (the page asks for the file again).
- Confirming deletes the file; every new upload first sweeps files older than KEEP_MINUTES.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from pathlib import Path

KEEP_MINUTES = 15
FOLDER = "import-uploads"


def _folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def _signature(secret: str, ident: str, kind: str, expires: int, user_id: uuid.UUID) -> str:
    message = f"console-import\x00{ident}\x00{kind}\x00{expires}\x00{user_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _sweep(folder: Path, now: float) -> None:
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < now - KEEP_MINUTES * 60:
                path.unlink(missing_ok=True)
        except OSError:
            continue  # swept by another worker meanwhile


def keep(data_dir: Path, secret: str, user_id: uuid.UUID, kind: str, data: bytes) -> str:
    """Store the upload; the token that finds it again."""
    folder = _folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    _sweep(folder, now)
    ident = secrets.token_hex(16)
    (folder / ident).write_bytes(data)
    expires = int(now) + KEEP_MINUTES * 60
    return f"{ident}.{kind}.{expires}.{_signature(secret, ident, kind, expires, user_id)}"


def _path(data_dir: Path, secret: str, user_id: uuid.UUID, kind: str, token: str) -> Path | None:
    parts = token.split(".")
    if len(parts) != 4 or parts[1] != kind or not parts[2].isdigit():
        return None
    ident, _, expires, signature = parts
    expected = _signature(secret, ident, kind, int(expires), user_id)
    if not hmac.compare_digest(signature, expected) or int(expires) < time.time():
        return None
    return _folder(data_dir) / ident


def load(data_dir: Path, secret: str, user_id: uuid.UUID, kind: str, token: str) -> bytes | None:
    """The kept upload of this user and kind, or None (forged, expired, confirmed or swept)."""
    path = _path(data_dir, secret, user_id, kind, token)
    try:
        return path.read_bytes() if path is not None else None
    except OSError:
        return None


def forget(data_dir: Path, secret: str, user_id: uuid.UUID, kind: str, token: str) -> None:
    path = _path(data_dir, secret, user_id, kind, token)
    if path is not None:
        path.unlink(missing_ok=True)
