"""The security headers every response carries; used by SecurityHeadersMiddleware and the 500 handler.

Rules: `nosniff`, no framing, no referrer, a CSP that allows nothing (`default-src 'none'`); a page (the
interactive docs, app/web/docs.py) sends its own CSP, which is kept: a header the response already has is never
replaced. `/api/v1` answers are `Cache-Control: no-store` (conditional reads set their own `private, no-cache`,
app.auth.conditional); HSTS only when the deployment says it is HTTPS-only.
"""

from __future__ import annotations

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"  # one year; no includeSubDomains: the service may share its domain
API_PATH_PREFIX = "/api/v1"


def security_headers(path: str, *, https_only: bool) -> dict[str, str]:
    """The headers a response to `path` gets (unless the route set the same header itself)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": API_CSP,
    }
    if path == API_PATH_PREFIX or path.startswith(API_PATH_PREFIX + "/"):
        headers["Cache-Control"] = "no-store"
    if https_only:
        headers["Strict-Transport-Security"] = HSTS
    return headers
