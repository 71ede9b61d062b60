"""Field-sync load: concurrent clients posting inspections with nested hazards and client-chosen ids,
some twice (one after the other, or at the same moment), some with the connection dropped before the
answer and retried until acknowledged (200/201); then the stored rows are checked with SQL (asyncpg on
PostgreSQL, the sqlite3 module on the embedded SQLite, with `PRAGMA integrity_check` too).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import asyncpg
import httpx

from tests.stress.harness import Store, World

URL = "/api/v1/inspections"
Mode = Literal["once", "twice_seq", "twice_concurrent", "drop"]
DUPLICATE_SHARE, DROP_SHARE = 0.20, 0.10
# Only the read is short: the whole request is written, then the client hangs up before the answer.
DROP_TIMEOUT = httpx.Timeout(30.0, read=0.002)
MAX_ATTEMPTS = 400
LOAD_LIMIT_S = 900
CATEGORIES = (
    "fire_safety",
    "building",
    "electrical",
    "gas",
    "food",
    "medical",
    "service",
    "management",
    "license",
    "other",
)


@dataclass(frozen=True)
class Post:
    """One inspection a client means to sync, and how it is (mis)delivered."""

    body: dict[str, Any]
    headers: dict[str, str]
    mode: Mode

    @property
    def id(self) -> str:
        return str(self.body["id"])


def _hazard(rng: random.Random, inspected_on: date, label: str) -> dict[str, Any]:
    h: dict[str, Any] = {
        "category": rng.choice(CATEGORIES),
        "severity": rng.choice(("general", "major")),
        "description": f"隐患 {label}: 消防通道堆放杂物",
    }
    if rng.random() < 0.75:  # most field apps choose hazard ids too; the others let the server pick
        h["id"] = str(uuid.uuid4())
    if rng.random() < 0.5:
        h["due_on"] = (inspected_on + timedelta(days=rng.randint(0, 60))).isoformat()
    return h


def plan_client(rng: random.Random, world: World, client_no: int, count: int) -> list[Post]:
    """`count` inspections for one client: DUPLICATE_SHARE sent twice (half sequentially, half at the same
    moment), DROP_SHARE with the first connection dropped before the answer."""
    region = world.regions[client_no % len(world.regions)]
    as_inspector = client_no % 2 == 0
    headers = region.inspector_headers if as_inspector else world.admin_headers
    slots = list(range(count))
    rng.shuffle(slots)
    n_dup, n_drop = round(count * DUPLICATE_SHARE), round(count * DROP_SHARE)
    modes: dict[int, Mode] = {}
    for k, slot in enumerate(slots[:n_dup]):
        modes[slot] = "twice_seq" if k % 2 == 0 else "twice_concurrent"
    for slot in slots[n_dup : n_dup + n_drop]:
        modes[slot] = "drop"
    posts = []
    for n in range(count):
        inspected_on = date(2024, 1, 1) + timedelta(days=rng.randint(0, 364))
        others = [o for o in region.officer_ids if o != region.inspector_officer_id]
        officer_ids = (
            [region.inspector_officer_id, rng.choice(others)] if as_inspector else rng.sample(region.officer_ids, 2)
        )
        label = f"c{client_no}-{n}"
        body = {
            "id": str(uuid.uuid4()),
            "institution_id": rng.choice(region.institution_ids),
            "inspected_on": inspected_on.isoformat(),
            "type": rng.choice(("routine", "special")),
            "officer_ids": officer_ids,
            "summary": f"现场检查 {label}",
            "hazards": [_hazard(rng, inspected_on, f"{label}-{k}") for k in range(rng.randint(1, 3))],
        }
        posts.append(Post(body, headers, modes.get(n, "once")))
    return posts


class Target:
    """Where the clients send: the base URL of the live server; `up` is cleared while it is down."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.up = asyncio.Event()
        self.up.set()


@dataclass
class Tally:
    requests: int = 0
    duplicates: int = 0
    drops: int = 0
    transport_errors: int = 0
    busy: int = 0  # 503 with Retry-After (every pooled connection in use): retried after that many seconds
    statuses: Counter[int] = field(default_factory=Counter)
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # id -> acknowledged bodies
    created: Counter[str] = field(default_factory=Counter)  # id -> number of 201s
    problems: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, of the requests answered

    @property
    def acknowledged(self) -> int:
        return self.statuses[200] + self.statuses[201]

    @property
    def server_errors(self) -> int:
        """5xx answers other than the documented 503 "busy, retry" of an exhausted connection pool."""
        return sum(n for status, n in self.statuses.items() if status >= 500) - self.busy

    def summary(self) -> str:
        ms = sorted(1000 * s for s in self.latencies) or [0.0]
        return (
            f"requests={self.requests} acknowledged={self.acknowledged} (201={self.statuses[201]} "
            f"200={self.statuses[200]}) duplicates_sent={self.duplicates} dropped={self.drops} "
            f"transport_errors={self.transport_errors} busy_503={self.busy} other_5xx={self.server_errors} "
            f"statuses={dict(sorted(self.statuses.items()))} latency_ms p50={ms[len(ms) // 2]:.0f} "
            f"p99={ms[len(ms) * 99 // 100]:.0f} max={ms[-1]:.0f}"
        )


async def deliver(http: httpx.AsyncClient, target: Target, post: Post, tally: Tally, *, drop: bool = False) -> None:
    """POST until a 200/201 arrives; 5xx and transport errors are retried (after the server is back). A 503
    with `Retry-After` (the pool is exhausted: documented) is retried after it, as a field app does; any
    other non-2xx answer is a problem."""
    for _ in range(MAX_ATTEMPTS):
        await target.up.wait()
        tally.requests += 1
        sent = time.perf_counter()
        try:
            r = await http.post(
                f"{target.base}{URL}",
                json=post.body,
                headers=post.headers,
                timeout=DROP_TIMEOUT if drop else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as exc:
            if drop and isinstance(exc, httpx.ReadTimeout):
                tally.drops += 1
            else:
                tally.transport_errors += 1
                await asyncio.sleep(0.05)
            drop = False
            continue
        drop = False
        tally.latencies.append(time.perf_counter() - sent)
        tally.statuses[r.status_code] += 1
        if r.status_code == 503 and r.headers.get("Retry-After", "").isdigit():
            tally.busy += 1
            await asyncio.sleep(min(int(r.headers["Retry-After"]), 5))
            continue
        if r.status_code in (200, 201):
            if r.status_code == 201:
                tally.created[post.id] += 1
            tally.answers.setdefault(post.id, []).append(r.json())
            return
        tally.problems.append(f"{post.id} ({post.mode}): {r.status_code} {r.text[:300]}")
        if r.status_code < 500:
            return
        await asyncio.sleep(0.1)
    tally.problems.append(f"{post.id}: no acknowledgement after {MAX_ATTEMPTS} attempts")


async def run_client(target: Target, posts: list[Post], tally: Tally) -> None:
    """One field app: its own connection pool, its posts one after the other."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=4)) as http:
        for post in posts:
            if post.mode == "twice_concurrent":
                tally.duplicates += 1
                await asyncio.gather(deliver(http, target, post, tally), deliver(http, target, post, tally))
            elif post.mode == "twice_seq":
                tally.duplicates += 1
                await deliver(http, target, post, tally)
                await deliver(http, target, post, tally)
            else:
                await deliver(http, target, post, tally, drop=post.mode == "drop")


async def run_load(target: Target, plans: list[list[Post]], tally: Tally, limit_s: float = LOAD_LIMIT_S) -> float:
    """All clients at once; the elapsed seconds. Fails (rather than hangs) after `limit_s`."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(limit_s):
            await asyncio.gather(*(run_client(target, posts, tally) for posts in plans))
    except TimeoutError:
        raise AssertionError(f"the load did not finish in {limit_s:.0f} s: {tally.summary()}") from None
    return time.perf_counter() - start


def answer_problems(posts: dict[str, Post], tally: Tally, *, exactly_one_201: set[str]) -> list[str]:
    """Every post acknowledged; all answers for an id identical and matching the request; at most one 201
    per id (exactly one for the ids in `exactly_one_201`)."""
    problems = list(tally.problems)
    for pid, post in posts.items():
        answers = tally.answers.get(pid, [])
        if not answers:
            problems.append(f"{pid}: never acknowledged")
            continue
        first = answers[0]
        if any(a != first for a in answers[1:]):
            problems.append(f"{pid}: replays answered a different body")
        if first["id"] != pid or [h["description"] for h in first["hazards"]] != [
            h["description"] for h in post.body["hazards"]
        ]:
            problems.append(f"{pid}: the answer is not the record sent")
        created = tally.created[pid]
        if created > 1 or (pid in exactly_one_201 and created != 1):
            problems.append(f"{pid} ({post.mode}): {created} answers were 201")
    return problems


@dataclass(frozen=True)
class Stored:
    inspections: int
    hazards: int
    history: int
    officer_links: int

    def summary(self) -> str:
        return (
            f"stored: inspections={self.inspections} hazards={self.hazards} history={self.history} "
            f"officer_links={self.officer_links}"
        )


_ROWS_SQL = {
    "inspections": "SELECT id FROM inspections",
    "hazards": "SELECT inspection_id, id, description FROM hazards ORDER BY inspection_id, position",
    "history": "SELECT hazard_id, seq, action, from_status, to_status FROM hazard_history",
    "links": "SELECT inspection_id, count(*) AS n FROM inspection_officers GROUP BY 1",
}
Rows = dict[str, list[dict[str, Any]]]


def _uuid_text(value: Any) -> str:
    """Ids as the API writes them (SQLite stores a UUID as 32 hex digits, asyncpg returns a UUID)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def sqlite_problems(path: Any) -> list[str]:
    """`PRAGMA integrity_check` (b-trees, indexes, page accounting) and `PRAGMA foreign_key_check` of the
    SQLite file at `path`: [] when the file is sound."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    problems = [] if integrity == ["ok"] else [f"integrity_check: {line}" for line in integrity]
    return problems + [f"foreign_key_check: {row}" for row in fk]


def _sqlite_rows(path: Any) -> Rows:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("BEGIN")  # one read transaction: a consistent snapshot while a server may write
        return {name: [dict(r) for r in conn.execute(sql)] for name, sql in _ROWS_SQL.items()}
    finally:
        conn.close()


async def _fetch_rows(store: Store) -> Rows:
    if store.database_url is None:
        return await asyncio.to_thread(_sqlite_rows, store.sqlite_path)
    conn = await asyncpg.connect(store.database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return {name: [dict(r) for r in await conn.fetch(sql)] for name, sql in _ROWS_SQL.items()}
    finally:
        await conn.close()


def _only_sent(fetched: Rows, posts: dict[str, Post]) -> Rows:
    """The rows of the inspections sent (and of their hazards), leaving out those other writers stored."""

    def sent(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [r for r in rows if _uuid_text(r[key]) in posts]

    hazards = sent(fetched["hazards"], "inspection_id")
    hazard_ids = {_uuid_text(r["id"]) for r in hazards}
    return {
        "inspections": sent(fetched["inspections"], "id"),
        "hazards": hazards,
        "history": [r for r in fetched["history"] if _uuid_text(r["hazard_id"]) in hazard_ids],
        "links": sent(fetched["links"], "inspection_id"),
    }


async def check_store(
    store: Store, posts: dict[str, Post], must_exist: set[str], *, complete: bool, others: bool = False
) -> tuple[Stored, list[str]]:
    """Read the rows back with SQL. Every stored inspection is one that was sent, with exactly its hazards
    (in order, client ids kept), its two officers, and one `create` history entry per hazard (so nothing
    half-written); every id in `must_exist` is stored; with `complete`, exactly the ids sent are stored.
    With `others`, rows that other writers stored (seed data) are left out of the check and of the counts.
    On SQLite the file also passes `PRAGMA integrity_check` and `PRAGMA foreign_key_check`."""
    fetched = await _fetch_rows(store)
    if others:
        fetched = _only_sent(fetched, posts)
    inspections = [_uuid_text(r["id"]) for r in fetched["inspections"]]
    hazards, history, links = fetched["hazards"], fetched["history"], fetched["links"]
    problems: list[str] = []
    if store.database_url is None:
        problems += await asyncio.to_thread(sqlite_problems, store.sqlite_path)
    stored_ids = set(inspections)
    if len(stored_ids) != len(inspections):
        problems.append("an inspection id is stored twice")
    problems += [f"{i}: stored but never sent" for i in stored_ids - posts.keys()]
    problems += [f"{i}: acknowledged but not stored" for i in must_exist - stored_ids]
    if complete:
        problems += [f"{i}: sent but not stored" for i in posts.keys() - stored_ids]
    by_inspection: dict[str, list[tuple[str, str]]] = {}
    for r in hazards:
        by_inspection.setdefault(_uuid_text(r["inspection_id"]), []).append((_uuid_text(r["id"]), r["description"]))
    entries: dict[str, list[tuple[Any, ...]]] = {}
    for r in history:
        entries.setdefault(_uuid_text(r["hazard_id"]), []).append(
            (r["seq"], r["action"], r["from_status"], r["to_status"])
        )
    officer_links = {_uuid_text(r["inspection_id"]): int(r["n"]) for r in links}
    for pid in stored_ids & posts.keys():
        sent = posts[pid].body["hazards"]
        rows = by_inspection.get(pid, [])
        if [d for _, d in rows] != [h["description"] for h in sent]:
            problems.append(f"{pid}: {len(rows)} hazards stored, {len(sent)} sent (or another order)")
        elif any("id" in h and h["id"] != hid for h, (hid, _) in zip(sent, rows, strict=True)):
            problems.append(f"{pid}: a client-chosen hazard id was not kept")
        problems += [
            f"{pid}: hazard {hid} has history {entries.get(hid)}"
            for hid, _ in rows
            if entries.get(hid) != [(1, "create", None, "open")]
        ]
        if officer_links.get(pid) != len(posts[pid].body["officer_ids"]):
            problems.append(f"{pid}: {officer_links.get(pid)} officer links")
    stored = Stored(len(inspections), len(hazards), len(history), sum(officer_links.values()))
    if stored.history != stored.hazards:
        problems.append(f"{stored.history} history rows for {stored.hazards} hazards")
    return stored, problems


async def replay_all(target: Target, posts: list[Post], tally: Tally, concurrency: int = 16) -> list[str]:
    """Re-send acknowledged posts: each must answer 200 with the body first acknowledged (never 409)."""
    problems: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(http: httpx.AsyncClient, post: Post) -> None:
        for _ in range(MAX_ATTEMPTS):
            async with gate:
                r = await http.post(f"{target.base}{URL}", json=post.body, headers=post.headers)
            tally.requests += 1
            tally.statuses[r.status_code] += 1
            if r.status_code != 503 or not r.headers.get("Retry-After", "").isdigit():
                break
            tally.busy += 1
            await asyncio.sleep(min(int(r.headers["Retry-After"]), 5))
        if r.status_code != 200:
            problems.append(f"{post.id}: replay answered {r.status_code} {r.text[:300]}")
        elif r.json() != tally.answers[post.id][0]:
            problems.append(f"{post.id}: replay answered another body")

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as http:
        await asyncio.gather(*(one(http, p) for p in posts))
    return problems
