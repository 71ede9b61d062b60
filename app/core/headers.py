"""The security headers every response carries; used by SecurityHeadersMiddleware and the 500 handler.

Rules: `nosniff`, no framing, no referrer, a CSP that allows nothing (`default-src 'none'`) except on the
interactive docs, whose CSP admits the CDN scripts Swagger UI and ReDoc load; `/api/v1` answers are
`Cache-Control: no-store`; HSTS only when the deployment says it is HTTPS-only.
"""

from __future__ import annotations

from collections.abc import Iterable

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc (FastAPI's pages): scripts and styles from jsDelivr plus one inline script or style
# block each, ReDoc's Google fonts and blob: worker, the favicon; they fetch /openapi.json from here.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"  # one year; no includeSubDomains: the service may share its domain
API_PATH_PREFIX = "/api/v1"


def security_headers(path: str, *, https_only: bool, docs_paths: Iterable[str] = ()) -> dict[str, str]:
    """The headers a response to `path` gets (unless the route set the same header itself)."""
    docs = any(path == p or path.startswith(p + "/") for p in docs_paths)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": DOCS_CSP if docs else API_CSP,
    }
    if path == API_PATH_PREFIX or path.startswith(API_PATH_PREFIX + "/"):
        headers["Cache-Control"] = "no-store"
    if https_only:
        headers["Strict-Transport-Security"] = HSTS
    return headers
