"""Scenario 1's floor: what one uvicorn worker of this stack reaches with the very statements of
`POST /inspections` and nothing else (bench/floor_app.py: read the JSON body, send the captured statements with
fresh ids, answer), beside the API and the limit, in one run:

    python -m bench.floor --database-url postgresql://postgres@127.0.0.1/inspection_tracker_bench

- *API*: the service's `POST /inspections` (authentication, validation, the rules, the outbox, the answer);
- *floor, SQLAlchemy*: a FastAPI route sending the statements through SQLAlchemy's AsyncConnection;
- *floor, asyncpg*: the same route on a bare asyncpg pool;
- *limit*: the statements replayed by an asyncpg script, no HTTP (bench/writes.py).

All four on core 0 with 16 clients (the driver on core 1), best of `--rounds`; with each server's CPU per
request. If the floor itself stays under half the limit, no work inside the route can reach it on one worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import random
import tempfile
from pathlib import Path

from app.core.config import normalize_database_url
from bench.common import admin_headers, server
from bench.writes import api_rate, body, captured, limit_rate, pin


def measure(url: str, seconds: float, rounds: int) -> dict[str, float]:
    """Rates (req/s or tx/s) and CPU ms per request of the API, the two floors and the limit."""
    pg_url = normalize_database_url(url).replace("postgresql+asyncpg", "postgresql")
    out: dict[str, list[float]] = {}

    def note(name: str, rate: float, cpu_ms: float = 0.0) -> None:
        out.setdefault(name, []).append(rate)
        out.setdefault(f"{name}_cpu_ms", []).append(cpu_ms)

    with tempfile.TemporaryDirectory() as tmp:
        ops_file = Path(tmp) / "ops.pickle"
        for _ in range(rounds):
            with server(url, cpu=0) as (base, pid):
                headers = admin_headers(url, base)
                ops, keep, insts, officers = asyncio.run(captured(url, headers))
                ops_file.write_bytes(pickle.dumps((ops, keep)))

                def post(insts: list[str] = insts, officers: list[str] = officers) -> bytes:
                    return json.dumps(body(random.choice(insts), officers)).encode()

                pin(1)
                note(
                    "api",
                    *asyncio.run(
                        api_rate(base, headers["Authorization"], post, "/api/v1/inspections", "POST", seconds, pid)
                    ),
                )
            with server(pg_url, cpu=0, env={"FLOOR_OPS": str(ops_file)}, factory="bench.floor_app:create") as (
                base,
                pid,
            ):
                for layer in ("sqlalchemy", "asyncpg"):
                    note(
                        f"floor_{layer}",
                        *asyncio.run(api_rate(base, "", post, f"/floor/{layer}", "POST", seconds, pid)),
                    )
            pin(0)
            note("limit", asyncio.run(limit_rate(pg_url, ops, keep, seconds)))
    pin(1)
    return {k: (min(v) if k.endswith("_cpu_ms") else max(v)) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.database_url, args.seconds, args.rounds), indent=1))


if __name__ == "__main__":
    main()
