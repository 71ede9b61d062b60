"""The field app's shell: the files the service worker precaches, and the version that names its cache.

Rules:
- The shell is `/field/`, the manifest, everything under `static/` and the vendored idb module.
- The version is a SHA-256 over the shell's source bytes, the evidence limit the page is rendered with and the
  `FIELD_RELEASE` setting (an optional deployment label), computed once at start-up:
  a deploy that changes any of them changes `/field/sw.js`'s bytes, so the browser installs the new worker on
  the next visit (it waits until no page of the old version is open, or the user chooses `更新`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

FIELD_DIR = Path(__file__).resolve().parent
STATIC_DIR = FIELD_DIR / "static"
TEMPLATES = FIELD_DIR / "templates"
STATIC_URL = "/field/static"
IDB_DIR = FIELD_DIR.parent / "static" / "vendor" / "idb-8.0.4"
IDB_URL = "/static/vendor/idb-8.0.4/index.js"


@dataclass(frozen=True, slots=True)
class Shell:
    version: str
    urls: tuple[str, ...]


def build_shell(evidence_max_bytes: int, release: str = "") -> Shell:
    """The precache list and its version (hash of every shell file, the limit and FIELD_RELEASE)."""
    digest = hashlib.sha256()
    statics = sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())
    sources = [*sorted(TEMPLATES.glob("*")), *statics, IDB_DIR / "index.js"]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(str(evidence_max_bytes).encode())
    digest.update(release.encode())
    urls = (
        "/field/",
        "/field/manifest.webmanifest",
        *(f"{STATIC_URL}/{p.relative_to(STATIC_DIR).as_posix()}" for p in statics),
        IDB_URL,
    )
    return Shell(digest.hexdigest()[:16], urls)
