"""Soak load: a long, fixed rotation of ordinary and hostile requests against one server process, with the
process's resident memory (VmRSS from /proc) sampled as it goes.

The rotation, by request number `n` (every kind has the status a user would see; anything else is a problem):
- most requests are reads: every list, one record with 200 hazards (a ~300 KB answer), history, the reports,
  the annual paragraph, a 404 and a 422;
- every CREATE_EVERY-th a create (an inspection with two hazards, a fresh client id) → 201;
- every EXPORT_EVERY-th a ledger export of the seeded few-MB ledger, CSV (a viewer) and XLSX (a viewer API key)
  in turn → 200 with every row;
- every BODY_EVERY-th a 10,000-hazard body (~5 MB, 422 naming `hazards`) or a body over MAX_BODY_BYTES (413);
- every LOGIN_EVERY-th a failed login (an unknown username, so argon2 runs against the dummy hash) from one of
  several loopback addresses (each stays under the per-IP limit), two in three a login for a locked
  username (401 until the per-user limit, then 429 without argon2).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from app.core.config import Settings
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine
from bench.common import Driver, rss_bytes
from tests.stress.harness import SECRET, Server, World

API = "/api/v1"
LEDGER_INSPECTIONS, LEDGER_HAZARDS = 16, 200  # 3,200 ledger rows
DESCRIPTION_CHARS = 400  # ≈ 1.3 KB per CSV row: a ledger of about 4 MB
LEDGER_YEAR, LOAD_YEAR = 2023, 2024  # the exports take only the ledger's year, which creates never touch
CREATE_EVERY, EXPORT_EVERY, BODY_EVERY, LOGIN_EVERY = 10, 400, 400, 100
LOGIN_IPS = 8  # loopback addresses 127.0.0.2 … 127.0.0.9 for the failed logins
LOCKED_USER = "soak-locked-user"
MAX_BODY_BYTES = 10 * 1024 * 1024  # the server's default
READER_PASSWORD = "soak-reader-password-1"
CATEGORIES = ("fire_safety", "building", "electrical", "gas", "food", "medical", "service", "management")


async def migrated_sqlite(path: Path) -> str:
    """A fresh SQLite file at `path`, migrated to head; its URL."""
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(DATABASE_URL=url, SECRET_KEY=SECRET, _env_file=None))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return url


@dataclass(frozen=True)
class SoakWorld:
    world: World
    viewer_auth: str  # a viewer user's bearer token (CSV exports)
    key_auth: str  # a viewer API key (XLSX exports)
    ledger_inspection_id: str
    ledger_hazard_ids: list[str]
    ledger_rows: int


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _description(n: int) -> str:
    base = f"第{n}号隐患：消防通道堆放杂物，疏散指示标志损坏，灭火器过期未检，"
    return (base * (DESCRIPTION_CHARS // len(base) + 1))[:DESCRIPTION_CHARS]


def _hazards(count: int, on: str, label: str) -> list[dict[str, Any]]:
    return [
        {
            "category": CATEGORIES[k % len(CATEGORIES)],
            "severity": "major" if k % 7 == 0 else "general",
            "description": f"{label}-{k} {_description(k)}",
            "due_on": on,
        }
        for k in range(count)
    ]


async def _post(http: httpx.AsyncClient, path: str, body: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    r = await http.post(path, json=body, headers=auth)
    assert r.status_code == 201, r.text[:500]
    data: dict[str, Any] = r.json()
    return data


async def seed_soak(server: Server, world: World) -> SoakWorld:
    """The ledger (LEDGER_INSPECTIONS × LEDGER_HAZARDS hazards in region 500240, LEDGER_YEAR), a viewer user
    and a viewer API key."""
    region = world.regions[0]
    admin = world.admin_headers
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
        inspections = []
        for n in range(LEDGER_INSPECTIONS):
            on = f"{LEDGER_YEAR}-{n % 12 + 1:02d}-15"
            body = {
                "institution_id": region.institution_ids[n % len(region.institution_ids)],
                "inspected_on": on,
                "type": "routine",
                "officer_ids": region.officer_ids[:2],
                "hazards": _hazards(LEDGER_HAZARDS, on, f"台账{n}"),
            }
            inspections.append(await _post(http, f"{API}/inspections", body, admin))
        viewer = {"username": "soak-viewer", "password": READER_PASSWORD, "role": "viewer", "region_code": region.code}
        await _post(http, f"{API}/users", viewer, admin)
        r = await http.post(f"{API}/auth/token", data={"username": "soak-viewer", "password": READER_PASSWORD})
        assert r.status_code == 200, r.text
        key = await _post(
            http, f"{API}/api-keys", {"name": "soak", "role": "viewer", "region_code": region.code}, admin
        )
    first = inspections[0]
    return SoakWorld(
        world,
        f"Bearer {r.json()['access_token']}",
        f"Bearer {key['key']}",
        first["id"],
        [h["id"] for h in first["hazards"]],
        LEDGER_INSPECTIONS * LEDGER_HAZARDS,
    )


@dataclass
class Sample:
    requests: int
    seconds: float
    rss_mb: float


@dataclass
class SoakTally:
    requests: int = 0
    by_kind: Counter[tuple[str, int]] = field(default_factory=Counter)  # (kind, status) -> answers
    problems: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    export_bytes: int = 0
    argon2_logins: int = 0

    def summary(self) -> str:
        answers = " ".join(f"{kind}:{status}={count}" for (kind, status), count in sorted(self.by_kind.items()))
        return (
            f"requests={self.requests} answers={answers} "
            f"export_mb={self.export_bytes / 2**20:.0f} "
            f"argon2_logins={self.argon2_logins} problems={len(self.problems)}"
        )

    def series(self) -> str:
        return " ".join(f"{s.requests}:{s.rss_mb:.0f}" for s in self.samples)


class Soak:
    """Runs the rotation over `workers` keep-alive connections (bench's lean driver; httpx only for the rare
    logins and bodies) and samples the server's RSS every `sample_every` answered requests."""

    def __init__(self, server: Server, soak: SoakWorld, *, workers: int = 8, sample_every: int = 250) -> None:
        self.server, self.soak, self.workers, self.sample_every = server, soak, workers, sample_every
        self.region = soak.world.regions[0]
        self.admin_auth = soak.world.admin_headers["Authorization"]
        self.tally = SoakTally()
        self._next = 0
        self._started = self._deadline = 0.0
        self._heavy_in_flight = 0
        self._sample_due = False
        self._http: dict[str, httpx.AsyncClient] = {}
        self._reads = self._read_requests()

    def _read_requests(self) -> list[tuple[str, str, int]]:
        """(auth, path, expected status) of the reads, in rotation."""
        s, code = self.soak, self.region.code
        period = {"from": f"{LEDGER_YEAR}-01-01", "to": f"{LOAD_YEAR}-12-31"}
        inspector = self.region.inspector_headers["Authorization"]
        admin = self.admin_auth
        q = urlencode
        return [
            (inspector, f"{API}/users/me", 200),
            (admin, f"{API}/institutions?limit=50", 200),
            (inspector, f"{API}/officers?limit=50", 200),
            (admin, f"{API}/inspections?{q({'limit': 20, 'region_code': code})}", 200),
            (inspector, f"{API}/hazards?limit=50", 200),
            (admin, f"{API}/hazards?{q({'limit': 50, 'severity': 'major', 'region_code': code})}", 200),
            (s.viewer_auth, f"{API}/reports/summary?{q(period)}", 200),
            (admin, f"{API}/reports/breakdown?{q({**period, 'group_by': 'township'})}", 200),
            (s.viewer_auth, f"{API}/reports/breakdown?{q({**period, 'group_by': 'month', 'region_code': code})}", 200),
            (admin, f"{API}/inspections/{s.ledger_inspection_id}", 200),
            (inspector, f"{API}/hazards/{s.ledger_hazard_ids[7]}", 200),
            (inspector, f"{API}/hazards/{s.ledger_hazard_ids[3]}/history", 200),
            (s.viewer_auth, f"{API}/reports/annual?year={LEDGER_YEAR}", 200),
            (admin, f"{API}/hazards/{uuid.uuid4()}", 404),
            (admin, f"{API}/hazards?limit=many", 422),
            (s.key_auth, f"{API}/institutions?{q({'limit': 20, 'region_code': code})}", 200),
        ]

    def _client(self, local_ip: str) -> httpx.AsyncClient:
        if local_ip not in self._http:
            transport = httpx.AsyncHTTPTransport(local_address=local_ip)
            self._http[local_ip] = httpx.AsyncClient(base_url=self.server.base, timeout=120, transport=transport)
        return self._http[local_ip]

    async def run(self, total: int, seconds: float) -> SoakTally:
        """`total` requests, or as many as `seconds` allow (the box may be slow)."""
        self._started = time.perf_counter()
        self._deadline = self._started + seconds
        self._sample()
        port = urlsplit(self.server.base).port
        assert port is not None
        drivers = [Driver("127.0.0.1", port, self.admin_auth) for _ in range(self.workers)]
        try:
            for d in drivers:
                await d.open()
            await asyncio.gather(*(self._worker(d, total) for d in drivers))
            self._sample()
        finally:
            for d in drivers:
                await d.close()
            for http in self._http.values():
                await http.aclose()
        return self.tally

    def _sample(self) -> None:
        rss = rss_bytes(self.server.pid) / 2**20
        self.tally.samples.append(Sample(self.tally.requests, time.perf_counter() - self._started, rss))

    async def _worker(self, driver: Driver, total: int) -> None:
        while self._next < total and time.perf_counter() < self._deadline:
            n = self._next
            self._next += 1
            heavy = self._heavy(n)
            self._heavy_in_flight += heavy
            try:
                kind, status, body = await self._one(driver, n)
            finally:
                self._heavy_in_flight -= heavy
            self.tally.by_kind[kind, status] += 1
            self.tally.requests += 1
            if body is not None and len(self.tally.problems) < 50:
                self.tally.problems.append(f"#{n} {kind}: {status} {body[:300]!r}")
            # What stays, not what a request holds while it runs: a sample waits until no export, large body
            # or password check (64 MiB while it runs) is in flight.
            self._sample_due |= self.tally.requests % self.sample_every == 0
            if self._sample_due and not self._heavy_in_flight:
                self._sample_due = False
                self._sample()

    @staticmethod
    def _heavy(n: int) -> bool:
        return (
            n % EXPORT_EVERY == EXPORT_EVERY // 2
            or n % BODY_EVERY == BODY_EVERY // 4
            or n % LOGIN_EVERY == LOGIN_EVERY // 3
        )

    async def _one(self, driver: Driver, n: int) -> tuple[str, int, bytes | None]:
        """Request number `n`: (kind, status, the body when the status is not the expected one)."""
        if n % EXPORT_EVERY == EXPORT_EVERY // 2:
            return await self._export(driver, n)
        if n % BODY_EVERY == BODY_EVERY // 4:
            return await self._large_body(n)
        if n % LOGIN_EVERY == LOGIN_EVERY // 3:
            return await self._login(n)
        if n % CREATE_EVERY == 1:
            status, body = await driver.send("POST", f"{API}/inspections", _json(self._create(n)))
            return "create", status, None if status == 201 else body
        auth, path, expected = self._reads[n % len(self._reads)]
        status, body = await driver.send("GET", path, auth=auth)
        return "read", status, None if status == expected else body

    def _create(self, n: int) -> dict[str, Any]:
        on = f"{LOAD_YEAR}-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        officers = self.region.officer_ids
        return {
            "id": str(uuid.uuid4()),
            "institution_id": self.region.institution_ids[n % len(self.region.institution_ids)],
            "inspected_on": on,
            "type": "special" if n % 3 == 0 else "routine",
            "campaign": "养老院消防安全专项" if n % 3 == 0 else None,
            "officer_ids": [officers[n % 4], officers[(n + 1) % 4]],
            "summary": f"soak {n}",
            "hazards": _hazards(2, on, f"soak{n}"),
        }

    async def _export(self, driver: Driver, n: int) -> tuple[str, int, bytes | None]:
        csv = (n // EXPORT_EVERY) % 2 == 0
        params = urlencode({"found_from": f"{LEDGER_YEAR}-01-01", "found_to": f"{LEDGER_YEAR}-12-31"})
        path = f"{API}/exports/hazards.{'csv' if csv else 'xlsx'}?{params}"
        status, body = await driver.send("GET", path, auth=self.soak.viewer_auth if csv else self.soak.key_auth)
        self.tally.export_bytes += len(body)
        if status != 200:
            return "export", status, body
        if csv and body.count(b"\r\n") < self.soak.ledger_rows + 1:  # descriptions hold no line breaks
            return "export", status, b"short ledger: " + body[-200:]
        if not csv and not body.startswith(b"PK"):
            return "export", status, b"not an XLSX file: " + body[:200]
        return "export", status, None

    async def _large_body(self, n: int) -> tuple[str, int, bytes | None]:
        if (n // BODY_EVERY) % 2 == 0:
            body = self._create(n)
            hazard = {"category": "other", "severity": "general", "description": "超出上限的隐患" * 20}
            body["hazards"] = [hazard] * 10_000  # ≈ 4.5 MB, under MAX_BODY_BYTES; at most 200 are allowed
            http = self._client("127.0.0.1")
            headers = {"Authorization": self.admin_auth, "Content-Type": "application/json"}
            r = await http.post(f"{API}/inspections", content=_json(body), headers=headers)
            ok = r.status_code == 422 and "hazards" in r.text
            return "body_422", r.status_code, None if ok else r.content
        # Declared above the limit: the answer comes before any byte of the body is read (so none is sent).
        port = urlsplit(self.server.base).port
        assert port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"POST {API}/inspections HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {self.admin_auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
            )
            status = int((await reader.readline()).split()[1])
        finally:
            writer.close()
        return "body_413", status, None if status == 413 else b"not refused"

    async def _login(self, n: int) -> tuple[str, int, bytes | None]:
        k = n // LOGIN_EVERY
        if k % 3 == 0:  # an unknown username: argon2 runs against the dummy hash
            http = self._client(f"127.0.0.{2 + (k // 3) % LOGIN_IPS}")
            form = {"username": f"soak-ghost-{k}", "password": "wrong-password"}
            r = await http.post(f"{API}/auth/token", data=form)
            self.tally.argon2_logins += 1
            return "login_401", r.status_code, None if r.status_code == 401 else r.content
        http = self._client("127.0.0.100")
        r = await http.post(f"{API}/auth/token", data={"username": LOCKED_USER, "password": "wrong-password"})
        if r.status_code == 401:
            self.tally.argon2_logins += 1
        return "login_locked", r.status_code, None if r.status_code in (401, 429) else r.content
