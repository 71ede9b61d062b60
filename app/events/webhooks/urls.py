"""Where deliveries may go (SSRF rules of API.md "Webhooks"), checked at POST/PATCH and again at every attempt.

Rules:
- http or https only; no user name or password in the URL; a host is required.
- `WEBHOOK_ALLOWED_HOSTS` admits its host names, IP addresses and networks over http or https.
- Any other URL must be https and its host must resolve only to public (globally routable) addresses, or to
  addresses inside an allowed network. A private, loopback, link-local or reserved IP literal is refused unless
  allowed. A name that does not resolve is refused.
- The attempt connects to the address checked here (`Target.address`), not to a second lookup of the name, so a
  name that resolves elsewhere between the check and the connection (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import SplitResult, urlsplit

from app.core.config import parse_allowed_hosts

IPAddress = IPv4Address | IPv6Address
Networks = tuple[IPv4Network | IPv6Network, ...]


class UrlRefused(ValueError):
    """The URL may not receive deliveries; the message says why (shown as the 422 of `url`, or as the
    delivery's `last_error`)."""


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str]
    networks: Networks

    @classmethod
    def parse(cls, value: str) -> AllowList:
        names, networks = parse_allowed_hosts(value)
        return cls(names, networks)

    def admits(self, address: IPAddress) -> bool:
        return any(address in net for net in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    host: str
    address: str


def _split(url: str) -> tuple[SplitResult, str]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a port that is not a number or out of range
    except ValueError as exc:
        raise UrlRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("a webhook URL must not contain a user name or password")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    return parts, parts.hostname.lower().rstrip(".")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UrlRefused(f"the host {host} does not resolve") from None
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UrlRefused(f"the host {host} does not resolve")
    return found


async def check(url: str, allowed: AllowList) -> Target:
    """The target of `url` if deliveries may go there, else `UrlRefused` saying why."""
    parts, host = _split(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if host in allowed.names:
        addresses = [literal] if literal is not None else await _resolve(host, port)
        return Target(url, host, str(addresses[0]))
    addresses = [literal] if literal is not None else await _resolve(host, port)
    listed = all(allowed.admits(a) for a in addresses)
    if not listed:
        private = [str(a) for a in addresses if not a.is_global and not allowed.admits(a)]
        if private:
            raise UrlRefused(
                f"{host} resolves to a non-public address ({', '.join(private)}); "
                "add it to WEBHOOK_ALLOWED_HOSTS to allow it"
            )
        if parts.scheme != "https":
            raise UrlRefused("a host outside WEBHOOK_ALLOWED_HOSTS must be reached over https")
    return Target(url, host, str(addresses[0]))
