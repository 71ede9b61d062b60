"""OpenAPI links (app.core.links): every create links to the operations on the record it created, and a link
followed with a real create's answer reaches that record."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests import factories
from tests.conftest import Actor

PARAM = re.compile(r"\{(\w+)\}")


def _operations(doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method, path)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _links(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path: item["post"]["responses"]["201"]["links"]
        for path, item in doc["paths"].items()
        if "links" in item.get("post", {}).get("responses", {}).get("201", {})
    }


def test_every_link_names_a_real_operation_and_fills_its_path(app: FastAPI) -> None:
    doc = app.openapi()
    operations = _operations(doc)
    bad = []
    for source, links in _links(doc).items():
        for name, link in links.items():
            if not re.fullmatch(r"[A-Za-z0-9.\-_]+", name) or link["operationId"] not in operations:
                bad.append(f"{source} {name}: {link}")
                continue
            _, target = operations[link["operationId"]]
            if set(link["parameters"]) != set(PARAM.findall(target)):
                bad.append(f"{source} {name}: {link['parameters']} for {target}")
            if "$response.body#/id" not in link["parameters"].values():
                bad.append(f"{source} {name}: the new id is not passed on")
    assert not bad, bad


def test_creates_link_to_their_reads(app: FastAPI) -> None:
    doc = app.openapi()
    operations = _operations(doc)
    links = _links(doc)
    expected = {
        "/api/v1/inspections": ("get", "/api/v1/inspections/{inspection_id}"),
        "/api/v1/institutions": ("get", "/api/v1/institutions/{institution_id}"),
        "/api/v1/officers": ("get", "/api/v1/officers/{officer_id}"),
        "/api/v1/plans": ("get", "/api/v1/plans/{plan_id}"),
        "/api/v1/plans/{plan_id}/draws": ("get", "/api/v1/plans/{plan_id}/draws/{draw_id}"),
        "/api/v1/inspections/{inspection_id}/hazards": ("get", "/api/v1/hazards/{hazard_id}"),
        "/api/v1/hazards/{hazard_id}/evidence": ("get", "/api/v1/hazards/{hazard_id}/evidence/{evidence_id}"),
        "/api/v1/users": ("get", "/api/v1/users/{user_id}"),
        "/api/v1/api-keys": ("get", "/api/v1/api-keys/{key_id}"),
        "/api/v1/webhooks": ("get", "/api/v1/webhooks/{webhook_id}"),
    }
    missing = [
        source
        for source, target in expected.items()
        if target not in [operations[link["operationId"]] for link in links.get(source, {}).values()]
    ]
    assert not missing, missing
    inspection = links["/api/v1/inspections"]["GET"]
    assert inspection["parameters"] == {"inspection_id": "$response.body#/id"}


async def test_following_a_link_reaches_the_created_record(
    app: FastAPI, client: httpx.AsyncClient, admin: Actor
) -> None:
    doc = app.openapi()
    operations = _operations(doc)
    created = await factories.institution(client, admin.headers)
    link = _links(doc)["/api/v1/institutions"]["GET"]
    _, path = operations[link["operationId"]]
    values = {name: created["id"] for name, expr in link["parameters"].items() if expr == "$response.body#/id"}
    r = await client.get(PARAM.sub(lambda m: values[m.group(1)], path), headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == created["id"]


def test_public_twin_and_queued_work_are_linked(app: FastAPI) -> None:
    """A draw links to its public page too; "send a test delivery" (202) links to retrying that delivery."""
    doc = app.openapi()
    operations = _operations(doc)
    draw = doc["paths"]["/api/v1/plans/{plan_id}/draws"]["post"]["responses"]["201"]["links"]["GETPublic"]
    assert operations[draw["operationId"]] == ("get", "/api/v1/public/draws/{draw_id}")
    assert draw["parameters"] == {"draw_id": "$response.body#/id"}
    queued = doc["paths"]["/api/v1/webhooks/{webhook_id}/test"]["post"]["responses"]["202"]["links"]["POSTRetry"]
    assert operations[queued["operationId"]] == (
        "post",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    )
    assert queued["parameters"] == {
        "webhook_id": "$request.path.webhook_id",
        "delivery_id": "$response.body#/delivery_id",
    }
