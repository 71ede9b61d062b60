"""`serve` honours FORWARDED_ALLOW_IPS: X-Forwarded-For from a listed proxy is the client IP the per-IP limits
count; from any other peer it is ignored (real server, real sockets)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.serving import serve

PUBLIC = "/api/v1/public/inspections?year=2023&region_code=500240"


def _statuses(base: str, client_ip: str, n: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as http:
        return [http.get(PUBLIC, headers={"X-Forwarded-For": client_ip}).status_code for _ in range(n)]


def test_forwarded_for_from_a_listed_proxy_is_the_client_ip(tmp_path: Path) -> None:
    with serve(tmp_path, FORWARDED_ALLOW_IPS="127.0.0.1", PUBLIC_RATE_LIMIT_PER_MINUTE="2") as base:
        assert _statuses(base, "203.0.113.7", 3) == [200, 200, 429]
        assert _statuses(base, "203.0.113.8", 1) == [200], "another client behind the proxy has its own limit"


def test_forwarded_for_from_an_unlisted_peer_is_ignored(tmp_path: Path) -> None:
    # Through `.env` this time, like every other setting (uvicorn on its own would trust 127.0.0.1).
    (tmp_path / ".env").write_text("FORWARDED_ALLOW_IPS=192.0.2.1\n", encoding="utf-8")
    with serve(tmp_path, PUBLIC_RATE_LIMIT_PER_MINUTE="2") as base:
        assert _statuses(base, "203.0.113.7", 3) == [200, 200, 429]
        assert _statuses(base, "203.0.113.8", 1) == [429], "a forged header must not escape the limit"
