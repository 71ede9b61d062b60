"""One delivery attempt over HTTP, signed per the Standard Webhooks specification.

Rules:
- `POST` the stored body with `content-type: application/json`, `webhook-id` (the event id), `webhook-timestamp`
  (this attempt's Unix seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256, made by the
  `standardwebhooks` package with the subscription's secret).
- The URL is checked again (app.events.webhooks.urls) and the connection goes to the checked address.
- Any 2xx within `deadline_seconds` (connecting, sending and the answer's headers together) is delivered.
  Anything else fails: another status (a redirect included: redirects are not followed), a timeout, a refused
  connection. The answer's body is not read (a huge or endless body is neither read nor waited for).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from app.events.webhooks.urls import AllowList, Target, UrlRefused, check

USER_AGENT = "inspection-tracker-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None


def signed_headers(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(event_id, at, body),
    }


def _pinned(target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with the checked address in place of the name, its Host header and TLS server name."""
    parts = httpx.URL(target.url)
    host_header = parts.netloc.decode("ascii")
    pinned = parts.copy_with(host=target.address)
    return str(pinned), {"host": host_header}, {"sni_hostname": target.host}


async def attempt(
    client: httpx.AsyncClient,
    url: str,
    allowed: AllowList,
    secret: str,
    event_id: str,
    body: str,
    at: datetime,
    deadline_seconds: float,
) -> Outcome:
    """Make one attempt and say how it went; never raises for what the receiver or the network does."""
    try:
        async with asyncio.timeout(deadline_seconds):
            target = await check(url, allowed)
            pinned, host, extensions = _pinned(target)
            headers = {**signed_headers(secret, event_id, body, at), **host}
            request = client.build_request(
                "POST", pinned, content=body.encode(), headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            await response.aclose()  # the answer's body is never read: only its status counts
    except UrlRefused as exc:
        return Outcome(False, None, f"refused: {exc}")
    except TimeoutError:
        return Outcome(False, None, f"no answer within {deadline_seconds:g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    except OSError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, code, None)
    return Outcome(False, code, f"answered {code}")
