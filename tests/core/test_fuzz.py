"""Schema fuzzing: schemathesis generates requests for every operation of the app's own OpenAPI document and
checks every answer against that document: never a 5xx; only documented status codes, content types and
headers; bodies matching the documented schemas; schema-violating input refused with a 4xx; schema-valid
input refused only with a status the contract gives for a broken business rule; undocumented methods 405
with an `Allow` naming the documented ones. Nothing may be logged as an error meanwhile.

Per operation: schemathesis' coverage phase (boundary values, one violation at a time, other methods), then
Hypothesis-driven generation of valid and of invalid requests, and probes generation does not make (no or bad
credentials: 401 with `WWW-Authenticate: Bearer`; a body over the limit: the documented 413).

Generated requests carry a national admin's token. Path ids are real records about half the time: a small
seeded data set, and every id the fuzzer itself creates or lists along the way.

Requests are sent in-process on the test's own event loop (the session `app` and its database engine live
there); generation runs in a worker thread that hands each request back to the loop. Runs once per database
backend; select it with `-m fuzz`, leave it out with `-m "not fuzz"`. FUZZ_SEED and FUZZ_SCALE explore further.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override

from tests.conftest import ActorFactory
from tests.core.fuzzing import (
    BASE_URL,
    CHECKS,
    SCALE,
    SEED,
    SIGN_OUT_EVERYWHERE,
    UNFIT,
    Case,
    Operation,
    Send,
    admins,
    assert_quiet_log,
    in_process_client,
    load_schema,
    seed_records,
    sender,
)

pytestmark = pytest.mark.fuzz

MIN_REQUESTS = 1_000
# Examples per operation and generation mode (times FUZZ_SCALE). An operation without inputs yields one
# request, and negative mode nothing at all.
EXAMPLES = {GenerationMode.POSITIVE: round(18 * SCALE), GenerationMode.NEGATIVE: round(10 * SCALE)}
# Per database. Past it generation stops with what it has (checked between requests of the coverage phase and
# between Hypothesis runs, which are never cut short: that would hide the failure being shrunk).
TIME_BUDGET_S = 170.0 * max(SCALE, 1)
REAL_ID_RATE = 0.5


@dataclass
class Run:
    """What one database's fuzzing run has sent, learned and found."""

    deadline: float  # of the operation being fuzzed
    auth: dict[str, str]
    ids: dict[str, list[str]]
    never: set[str]  # ids a generated request must not touch (the caller itself)
    collections: dict[str, str]  # "/api/v1/plans" → "plan_id"
    max_body_bytes: int
    requests: int = 0
    generated: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_operation: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, operation: Operation, response: httpx.Response) -> None:
        self.requests += 1
        self.by_status[response.status_code] = self.by_status.get(response.status_code, 0) + 1
        self.by_operation[operation.label] = self.by_operation.get(operation.label, 0) + 1
        self._harvest(operation, response)

    def _harvest(self, operation: Operation, response: httpx.Response) -> None:
        """Keep the ids of records the fuzzer created or listed, for later path parameters."""
        name = self.collections.get(operation.path)
        if (
            name is None
            or response.status_code not in (200, 201)
            or "json" not in response.headers.get("content-type", "")
        ):
            return
        body = response.json()
        records = body.get("items", []) if isinstance(body, dict) and "items" in body else [body]
        for record in records:
            record_id = record.get("id") if isinstance(record, dict) else None
            pool = self.ids.setdefault(name, [])
            if isinstance(record_id, str) and record_id not in self.never and record_id not in pool:
                pool.append(record_id)


def _collections(operations: list[Operation]) -> dict[str, str]:
    """Map each collection path to the name of its item's id parameter: `/x/{a}/ys` → `y_id` via `/x/{a}/ys/{y_id}`."""
    out: dict[str, str] = {}
    for operation in operations:
        if m := re.fullmatch(r"(.+)/\{(\w+_id)\}", operation.path):
            out.setdefault(m.group(1), m.group(2))
    return out


def _call(operation: Operation, case: Case, run: Run, send: Send, rnd: random.Random) -> None:
    """Send one generated case (about half the positive ones aimed at real records) and check the answer."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        for name in list(case.path_parameters or {}):
            if run.ids.get(name) and rnd.random() < REAL_ID_RATE:
                case.path_parameters[name] = rnd.choice(run.ids[name])
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    response = anyio.from_thread.run(send, kwargs)
    run.record(operation, response)
    run.generated += 1
    case.validate_response(
        response, checks=CHECKS, excluded_checks=UNFIT.get(operation.path), headers=run.auth, transport_kwargs=kwargs
    )


def _cover(operation: Operation, run: Run, send: Send) -> None:
    """Schemathesis' coverage phase: boundary values and one violation at a time, for every parameter."""
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=list(GenerationMode),
        auth_storage=None,
        feedback=FeedbackSources(),
        generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
        override=Override(headers=run.auth),
    )
    rnd = random.Random(SEED)
    seen: set[tuple[str, ...]] = set()
    for sent, case in enumerate(generator):
        if sent and time.monotonic() > run.deadline:  # the first one goes anyway: every operation gets called
            return
        try:
            _call(operation, case, run, send, rnd)
        except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
            kinds = (
                tuple(sorted(type(e).__name__ for e in exc.exceptions))
                if isinstance(exc, FailureGroup)
                else (type(exc).__name__,)
            )
            if kinds not in seen:  # one report per kind of failure
                seen.add(kinds)
                run.failures.append(f"{operation.label} [coverage]\n{type(exc).__name__}: {exc}")


def _fuzz(operation: Operation, mode: GenerationMode, run: Run, send: Send) -> None:
    """Hypothesis over one operation in one mode; the (shrunk) failure is recorded, not raised."""

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=run.auth), rnd=st.randoms(use_true_random=False))
    def test(case: Case, rnd: random.Random) -> None:
        _call(operation, case, run, send, rnd)

    if time.monotonic() > run.deadline:
        return
    try:
        test()
    except Unsatisfiable:  # nothing to negate (an operation without inputs)
        pass
    except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
        run.failures.append(f"{operation.label} [{mode.value}]\n{type(exc).__name__}: {exc}")


def _probe(operation: Operation, run: Run, send: Send) -> None:
    """What generation does not reach: calls without or with bad credentials (401 with `WWW-Authenticate:
    Bearer` wherever credentials are needed), and a body over the limit (the documented 413, before routing)."""
    path = BASE_URL + re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), operation.path)
    method = operation.method.upper()
    failures = []
    if operation.definition.raw.get("security"):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}):
            response = anyio.from_thread.run(send, {"method": method, "url": path, "headers": headers})
            run.record(operation, response)
            if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
                challenge = response.headers.get("www-authenticate")
                failures.append(
                    f"with {headers or 'no credentials'}: {response.status_code} "
                    f"(WWW-Authenticate {challenge!r}) {response.text[:200]}"
                )
    body = operation.definition.raw.get("requestBody")
    if body:
        media_type = next(iter(body["content"]))
        oversized = {
            "method": method,
            "url": path,
            "data": b"0" * (run.max_body_bytes + 1),
            "headers": {**run.auth, "Content-Type": media_type},
        }
        response = anyio.from_thread.run(send, oversized)
        run.record(operation, response)
        if (
            response.status_code != 413
            or response.headers.get("content-type") != "application/problem+json"
            or "413" not in operation.definition.raw["responses"]
        ):
            failures.append(
                f"body over the limit: {response.status_code} {response.headers.get('content-type')} "
                f"{response.text[:200]} (documented: {sorted(operation.definition.raw['responses'])})"
            )
    run.failures.extend(f"{operation.label} [probe] {failure}" for failure in failures)


def _resolved(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    found: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema
    return found


def _is_enum(param: dict[str, Any], doc: dict[str, Any]) -> bool:
    """A path parameter that chooses among named values (`/imports/{kind}`): a wrong one is a 422, not a
    missing record."""
    return "enum" in _resolved(param.get("schema", {}), doc)


def _is_problem(schema: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Our Problem, or a schema extending it (every property of Problem, as the import's 422 with its `result`)."""
    if schema == {"$ref": "#/components/schemas/Problem"}:
        return True
    problem = set(doc["components"]["schemas"]["Problem"]["properties"])
    return problem <= set(_resolved(schema, doc).get("properties", {}))


def test_openapi_documents_problem_responses(app: FastAPI) -> None:
    """What every operation can answer is in the document, as problem+json: 401 where credentials are needed,
    422 where there is input (our Problem or an extension of it, never FastAPI's HTTPValidationError), 404
    where a path names a record (not where it chooses among named values), 413 where there is a body."""
    doc = app.openapi()
    assert not [name for name in doc["components"]["schemas"] if "ValidationError" in name]
    missing = []
    for path, path_item in doc["paths"].items():
        for method, operation in path_item.items():
            responses = operation["responses"]
            params = operation.get("parameters", [])
            wanted = {
                "401": bool(operation.get("security")),
                "422": bool(params or "requestBody" in operation),
                "404": any(p["in"] == "path" and not _is_enum(p, doc) for p in params),
                "413": "requestBody" in operation,
            }
            missing += [
                f"{method.upper()} {path}: {status}"
                for status, needed in wanted.items()
                if needed and status not in responses
            ]
            for status, response in responses.items():
                if status.startswith("4"):
                    content = response.get("content", {})
                    if list(content) != ["application/problem+json"] or not _is_problem(
                        content["application/problem+json"]["schema"], doc
                    ):
                        missing.append(f"{method.upper()} {path}: {status} is not a Problem ({content})")
    assert not missing, missing


async def test_schema_fuzz(
    app: FastAPI, make_actor: ActorFactory, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin, signs_out = await admins(make_actor)
    _, operations = load_schema(app)
    started = time.monotonic()
    async with in_process_client(app) as client:
        run = Run(
            deadline=0.0,
            auth=admin.headers,
            never={str(admin.user_id)},
            ids=await seed_records(client, admin.headers, make_actor),
            collections=_collections(operations),
            max_body_bytes=app.state.settings.MAX_BODY_BYTES,
        )
        send = sender(client)

        def fuzz_all() -> None:
            for done, operation in enumerate(operations):
                # Each operation may use up to three times its even share of what is left of the budget (the
                # big bodies need more), so a slow machine thins out generation everywhere instead of
                # starving the last operations.
                now = time.monotonic()
                run.deadline = now + 3 * (started + TIME_BUDGET_S - now) / (len(operations) - done)
                run.auth = signs_out.headers if operation.path == SIGN_OUT_EVERYWHERE else admin.headers
                _probe(operation, run, send)
                _cover(operation, run, send)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    _fuzz(operation, mode, run, send)

        await anyio.to_thread.run_sync(fuzz_all)
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz[{backend}] seed {SEED}: {run.generated} generated requests ({run.requests} with the probes) over "
        f"{len(operations)} operations in {elapsed:.1f}s; statuses {dict(sorted(run.by_status.items()))}"
    )
    assert not run.failures, f"{len(run.failures)} failure(s):\n\n" + "\n\n".join(run.failures)
    assert_quiet_log(caplog)
    missed = [op.label for op in operations if not run.by_operation.get(op.label)]
    assert not missed, f"operations never called: {missed}"
    assert run.generated >= MIN_REQUESTS, f"only {run.generated} generated requests in {elapsed:.0f}s"
