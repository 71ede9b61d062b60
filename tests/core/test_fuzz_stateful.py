"""Stateful fuzzing: schemathesis' state machine (`schema.as_state_machine()`) walks the app's own OpenAPI links
(app.core.links: every create links to the operations on the record it created), so the operations under
`/{…_id}` get the id of a record that exists instead of an unknown one. Every answer passes the checks of
tests/core/test_fuzz.py (never a 5xx, only documented statuses, content types and headers, bodies matching the
schemas, schema-violating input refused with a 4xx) and the stateful ones: a created record can be read back
(`ensure_resource_availability`), a deleted one is gone (`use_after_free`). Nothing may be logged as an error.

The proof of the point: the test records every operation that answered something other than 404 to a path id
put there by a document link (not one schemathesis inferred), and asserts that REAL_IDS, every operation that
takes a record's id in its path, is among them.

Generation cannot satisfy every create: an inspection needs two certified officers, a conflict an existing
institution, evidence a file whose first bytes are an image. About half the schema-valid requests of those
operations (VALID_BODIES) carry a known-valid body built from records made for the run instead of the generated
one; their path parameters stay as the link filled them. Generated requests carry a national admin's token,
and never target that admin's own account (a generated PATCH could demote it, a revocation sign it out).

Suites of SCENARIOS scenarios (one Hypothesis run each, on its own seed) walk one family of paths at a time
(FAMILIES: a top-level create and what lies under it, then the whole document), each family for its shares of
TIME_BUDGET_S; a suite still running when its family's time is up stops at its next step (`TimeUp`). A suite that
Hypothesis ends as "flaky" (the app's state differs between two runs of the same choices, as it must) simply
ends; its findings are kept. FUZZ_SEED and FUZZ_SCALE explore further.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import hypothesis
import pytest
from fastapi import FastAPI
from hypothesis.errors import Flaky, Unsatisfiable
from requests.structures import CaseInsensitiveDict
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import (
    APIStateMachine,
    StepInput,
    StepOutput,
    release_state_machines,
)
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

from tests import factories
from tests.conftest import OWN_REGION, TEST_PASSWORD, ActorFactory
from tests.core.fuzzing import (
    BASE_URL,
    CHECKS,
    CONFIG_DICT,
    PNG,
    SCALE,
    SEED,
    SIGN_OUT_EVERYWHERE,
    UNFIT,
    Case,
    Send,
    admins,
    assert_quiet_log,
    in_process_client,
    load_schema,
    sender,
)

pytestmark = pytest.mark.fuzz

# Per database. Each family of links gets its shares of it; a suite still running at the end of its family's
# time stops at its next step.
TIME_BUDGET_S = 130.0 * max(SCALE, 1)
SCENARIOS = 5  # per suite (one Hypothesis run)
STEPS = 20  # per scenario, at most
VALID_BODY_RATE = 0.5
STATEFUL_CHECKS = [*CHECKS, ensure_resource_availability, use_after_free]
STATEFUL_UNFIT = {
    **UNFIT,
    # API.md: `DELETE /api-keys/{key_id}` revokes the key; its record stays readable, with its `revoked_at`.
    "/api/v1/api-keys/{key_id}": [use_after_free],
}
# The document's links only: the point is that they lead somewhere (schemathesis' own inference is off).
STATEFUL_CONFIG = SchemathesisConfig.from_dict(
    {**CONFIG_DICT, "phases": {"stateful": {"inference": {"algorithms": []}}}}
)
# The links of one family of paths at a time (a top-level create and everything under it), so that a scenario
# goes deep (inspection → hazard → evidence) instead of wide; then the whole document. Family → time shares.
FAMILIES = {
    # with the creates of what an inspection names, else schemathesis does not start from POST /inspections
    r"/api/v1/(inspections|hazards)|/api/v1/(institutions|officers|plans)$": 3,
    r"/api/v1/plans|/api/v1/public/draws": 3,  # a draw needs a plan, officers and a valid body first
    r"/api/v1/officers": 1,
    r"/api/v1/webhooks": 1,
    r"/api/v1/users": 1,  # slow: every password is hashed with argon2
    r"/api/v1/(institutions|api-keys)": 1,
    r"": 1,
}


class TimeUp(Exception):
    """The family's time is over: ends the Hypothesis run at the next step."""


# Every operation that takes a record's id in its path, reached with a real one through a document link.
REAL_IDS = [
    "GET /api/v1/users/{user_id}",
    "PATCH /api/v1/users/{user_id}",
    "POST /api/v1/users/{user_id}/revoke-sessions",
    "GET /api/v1/api-keys/{key_id}",
    "DELETE /api/v1/api-keys/{key_id}",
    "GET /api/v1/institutions/{institution_id}",
    "PATCH /api/v1/institutions/{institution_id}",
    "GET /api/v1/officers/{officer_id}",
    "PATCH /api/v1/officers/{officer_id}",
    "GET /api/v1/officers/{officer_id}/trainings",
    "POST /api/v1/officers/{officer_id}/trainings",
    "GET /api/v1/officers/{officer_id}/conflicts",
    "POST /api/v1/officers/{officer_id}/conflicts",
    "GET /api/v1/inspections/{inspection_id}",
    "PATCH /api/v1/inspections/{inspection_id}",
    "POST /api/v1/inspections/{inspection_id}/hazards",
    "GET /api/v1/hazards/{hazard_id}",
    "POST /api/v1/hazards/{hazard_id}/transitions",
    "GET /api/v1/hazards/{hazard_id}/history",
    "GET /api/v1/hazards/{hazard_id}/evidence",
    "POST /api/v1/hazards/{hazard_id}/evidence",
    "GET /api/v1/hazards/{hazard_id}/evidence/{evidence_id}",
    "GET /api/v1/hazards/{hazard_id}/escalations",
    "GET /api/v1/plans/{plan_id}",
    "PATCH /api/v1/plans/{plan_id}",
    "GET /api/v1/plans/{plan_id}/coverage",
    "GET /api/v1/plans/{plan_id}/draws",
    "POST /api/v1/plans/{plan_id}/draws",
    "GET /api/v1/plans/{plan_id}/draws/{draw_id}",
    "GET /api/v1/plans/{plan_id}/draws/{draw_id}/verify",
    "GET /api/v1/webhooks/{webhook_id}",
    "PATCH /api/v1/webhooks/{webhook_id}",
    "DELETE /api/v1/webhooks/{webhook_id}",
    "POST /api/v1/webhooks/{webhook_id}/test",
    "GET /api/v1/webhooks/{webhook_id}/deliveries",
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",  # from "send a test delivery" (202)
    "GET /api/v1/public/draws/{draw_id}",
]
# Path parameters that no create's link fills, and why.
NOT_LINKED = {
    "GET /api/v1/regions/{region_code}": "a GB/T 2260 code, not a record's id",
    "PUT /api/v1/regions/{region_code}": "a GB/T 2260 code, not a record's id",
    "POST /api/v1/imports/{kind}": "a register's name (institutions, officers), not a record's id",
    "GET /api/v1/imports/{kind}/template": "a register's name (institutions, officers), not a record's id",
}


@dataclass
class Records:
    """Made for each suite, so a generated PATCH of one of them (closing the institution, a certificate that
    expires) spoils one suite at most."""

    institution_id: str
    officer_ids: list[str]


def _inspection(r: Records, rnd: random.Random) -> dict[str, Any]:
    on = date(2023, 1, 1) + timedelta(days=rnd.randrange(365))
    return factories.inspection_body(r.institution_id, r.officer_ids, inspected_on=on.isoformat())


def _plan(r: Records, rnd: random.Random) -> dict[str, Any]:
    return {
        "year": 2023,
        "name": f"计划-{rnd.randrange(10**6)}",
        "kinds": ["elderly_care"],
        "region_code": OWN_REGION,
        "type": "routine",
        "period_from": "2023-01-01",
        "period_to": "2023-12-31",
    }


# Operation → a known-valid body (whatever the link put in its path).
VALID_BODIES: dict[str, Callable[[Records, random.Random], Any]] = {
    "POST /api/v1/inspections": _inspection,
    "POST /api/v1/plans": _plan,
    "POST /api/v1/plans/{plan_id}/draws": lambda r, rnd: {"planned_on": "2023-06-01", "count": 1},
    "POST /api/v1/users": lambda r, rnd: {
        "username": f"fz-{rnd.randrange(10**9)}",
        "password": TEST_PASSWORD,
        "role": "viewer",
        "region_code": OWN_REGION,
    },
    "POST /api/v1/webhooks": lambda r, rnd: {"url": "https://1.1.1.1/hook"},
    "POST /api/v1/officers/{officer_id}/conflicts": lambda r, rnd: {
        "institution_id": r.institution_id,
        "reason": "亲属",
    },
    "POST /api/v1/hazards/{hazard_id}/evidence": lambda r, rnd: {"file": PNG},
}


@dataclass
class Walk:
    """What one database's stateful run has sent and found."""

    admin_id: str
    auth: dict[str, str]
    signs_out: dict[str, str]  # for "sign out everywhere", which ends the token it is called with
    records: Records | None = None
    deadline: float = 0.0  # of the family being walked
    rnd: random.Random = field(default_factory=lambda: random.Random(SEED))
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    real_ids: Counter[str] = field(default_factory=Counter)  # operation → answers to a linked real id
    failures: dict[tuple[str, ...], str] = field(default_factory=dict)  # one report per kind of failure

    def prepare(self, case: Case) -> None:
        """Credentials, never the admin itself, and a valid body where generation cannot make one."""
        if time.monotonic() > self.deadline:
            raise TimeUp
        auth = self.signs_out if case.path == SIGN_OUT_EVERYWHERE else self.auth
        case.headers = CaseInsensitiveDict({**dict(case.headers or {}), **auth})
        if (case.path_parameters or {}).get("user_id") == self.admin_id:
            case.path_parameters["user_id"] = str(uuid.uuid4())
        valid = VALID_BODIES.get(case.operation.label)
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if valid and positive and self.records and self.rnd.random() < VALID_BODY_RATE:
            case.body = valid(self.records, self.rnd)

    def record(self, step: StepInput, response: httpx.Response) -> None:
        self.requests += 1
        self.by_status[response.status_code] += 1
        linked = step.transition is not None and not step.transition.is_inferred
        by_link = linked and any(loc is ParameterLocation.PATH for loc, _ in step.applied_parameters)
        # The app answers 404 to an id it does not know; a throttled request (429) did not get that far.
        if by_link and response.status_code not in (404, 429):
            self.real_ids[step.case.operation.label] += 1

    def fail(self, case: Case, exc: FailureGroup) -> None:
        key = (case.operation.label, *sorted(type(e).__name__ for e in exc.exceptions))
        self.failures.setdefault(key, f"{case.operation.label} [stateful]\n{exc}")


def _machine(base: type[APIStateMachine], walk: Walk, send: Send) -> type[APIStateMachine]:
    class Workflow(base):  # type: ignore[valid-type, misc]
        def step(self, input: StepInput) -> StepOutput:
            walk.prepare(input.case)
            self._input = input
            output: StepOutput = super().step(input)
            return output

        def call(self, case: Case, **kwargs: Any) -> Response:
            self._kwargs = case.as_transport_kwargs(base_url=BASE_URL)
            response = anyio.from_thread.run(send, self._kwargs)
            walk.record(self._input, response)
            return Response.from_httpx(response, verify=False)

        def validate_response(self, response: Response, case: Case, *args: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(
                    response,
                    checks=STATEFUL_CHECKS,
                    excluded_checks=STATEFUL_UNFIT.get(case.operation.path),
                    headers=dict(case.headers),
                    transport_kwargs=self._kwargs,
                    recorder=self.recorder,
                )
            except FailureGroup as exc:  # recorded, not raised: the walk goes on and finds the others
                walk.fail(case, exc)

    return Workflow


async def _records(client: httpx.AsyncClient, headers: dict[str, str]) -> Records:
    institution = await factories.institution(client, headers)
    officers = [await factories.officer(client, headers, name=name) for name in ("谭明", "冉华")]
    return Records(institution["id"], [o["id"] for o in officers])


def test_every_path_parameter_is_linked_or_explained(app: FastAPI) -> None:
    """REAL_IDS and NOT_LINKED name every operation with a path parameter, and a create links to each of
    REAL_IDS (so the walk below can reach them)."""
    _, operations = load_schema(app)
    assert {op.label for op in operations if op.path_parameters} == set(REAL_IDS) | set(NOT_LINKED)
    by_id = {op.definition.raw["operationId"]: op.label for op in operations}
    targets = {
        by_id[link["operationId"]]
        for op in operations
        for response in op.definition.raw["responses"].values()
        for link in response.get("links", {}).values()
    }
    assert set(REAL_IDS) <= targets, set(REAL_IDS) - targets


async def test_stateful_fuzz(
    app: FastAPI, make_actor: ActorFactory, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin, signs_out = await admins(make_actor)
    schema, _ = load_schema(app, STATEFUL_CONFIG)
    walk = Walk(admin_id=str(admin.user_id), auth=admin.headers, signs_out=signs_out.headers)
    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        report_multiple_bugs=False,
    )
    started = time.monotonic()
    suites = 0
    async with in_process_client(app) as client:
        send = sender(client)
        families = [
            (_machine(schema.exclude(path_regex=f"^(?!(?:{paths}))").as_state_machine(), walk, send), shares)
            for paths, shares in FAMILIES.items()
        ]

        def walk_all() -> None:
            nonlocal suites
            share = TIME_BUDGET_S / sum(FAMILIES.values())
            end = started
            for machine, shares in families:
                # One family running over eats into the next one's time, but leaves it at least half a share.
                end += shares * share
                walk.deadline = max(end, time.monotonic() + share / 2)
                while time.monotonic() < walk.deadline:
                    walk.records = anyio.from_thread.run(_records, client, admin.headers)
                    # The suite ends (Flaky: the app's state differs between two runs of one choice sequence, as
                    # it must); what it found is kept.
                    with contextlib.suppress(TimeUp, Flaky, Unsatisfiable):
                        hypothesis.seed(SEED + suites)(machine).run(settings=settings)
                    suites += 1
            release_state_machines(*(machine for machine, _ in families))

        await anyio.to_thread.run_sync(walk_all)
    elapsed = time.monotonic() - started
    print(
        f"\nstateful fuzz[{backend}] seed {SEED}: {walk.requests} requests in {suites} suites, {elapsed:.1f}s; "
        f"statuses {dict(sorted(walk.by_status.items()))}\n"
        f"answers to real ids put in the path by a link: {dict(sorted(walk.real_ids.items()))}"
    )
    assert not walk.failures, f"{len(walk.failures)} failure(s):\n\n" + "\n\n".join(walk.failures.values())
    assert_quiet_log(caplog)
    missed = [label for label in REAL_IDS if not walk.real_ids[label]]
    assert not missed, f"never reached with a real id through a link: {missed}"
