"""OpenAPI links from every create to what can be done with the record it created.

Rule: a `POST <collection>` whose 201 body is an object with an `id` links to every operation under
`<collection>/{<name>_id>}` (read, change, delete, and the nested collections and records below it that need no
other unknown id); a nested create whose records live at the top level (`POST /x/{x_id}/ys` → `/api/v1/ys/{y_id}`)
links there; a created record with a public twin (`POST …/draws` → `/api/v1/public/draws/{draw_id}`) links to it
too. The new record's id is `$response.body#/id`, the collection's own path parameters are passed on as the
request had them (`$request.path.<param>`). An accepted answer (202) that names the work it queued (a
`delivery_id`) links to the operations on that work (`…/deliveries/{delivery_id}/retry`) with
`$response.body#/<x>_id`. Tools that follow links (schemathesis' stateful phase) then reach deep operations with
real ids instead of unknown ones. The document only gains: `links` is added to
responses that exist, nothing else changes.
"""

from __future__ import annotations

import re
from typing import Any

_METHODS = ("get", "put", "patch", "delete", "post")
_PARAM = re.compile(r"\{(\w+)\}")


def _schema_has_id(schema: dict[str, Any], doc: dict[str, Any]) -> bool:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        schema = doc.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return "id" in schema.get("properties", {})


def _created_body_has_id(response: dict[str, Any], doc: dict[str, Any]) -> bool:
    content = response.get("content", {})
    media = content.get("application/json")
    return isinstance(media, dict) and _schema_has_id(media.get("schema", {}), doc)


def _link_name(method: str, path: str, collection: str) -> str:
    tail = path[len(collection) :]
    words = [w for w in re.split(r"[^A-Za-z0-9]+", _PARAM.sub("", tail)) if w]
    return method.upper() + "".join(w.capitalize() for w in words) or method.upper()


def document_links(doc: dict[str, Any]) -> None:
    """Add the links described above to `doc` in place."""
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for collection, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not isinstance(created, dict) or not _created_body_has_id(created, doc):
            continue
        own = set(_PARAM.findall(collection))
        base = collection
        if not any(re.match(re.escape(collection) + r"/\{\w+\}", p) for p in paths):
            # A nested create whose record is read at the top level: `/x/{x_id}/ys` → `/api/v1/ys/{y_id}`.
            parts = collection.split("/")  # ["", "api", "v1", ..., "ys"]
            base = "/".join([*parts[:3], parts[-1]])
        public = "/api/v1/public/" + collection.rsplit("/", 1)[1]
        links: dict[str, Any] = {}
        for path, target in paths.items():
            m = re.match(re.escape(base) + r"/\{(\w+)\}(?:/|$)", path) or re.fullmatch(
                re.escape(public) + r"/\{(\w+)\}", path
            )
            if m is None:
                continue
            new_id = m.group(1)
            needed = set(_PARAM.findall(path))
            if needed - own - {new_id}:
                continue  # needs another id the create does not give
            for method in _METHODS:
                operation = target.get(method)
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                parameters = {name: f"$request.path.{name}" for name in sorted(own & needed)}
                parameters[new_id] = "$response.body#/id"
                name = _link_name(method, path, base) if path.startswith(base) else "GETPublic"
                links[name] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                }
        if links:
            created.setdefault("links", {}).update(links)
    for path, item in paths.items():
        for operation in item.values():
            if isinstance(operation, dict):
                _accepted_links(path, operation, doc)


def _accepted_links(source: str, operation: dict[str, Any], doc: dict[str, Any]) -> None:
    """A 202 whose body names `<x>_id` links to the operations under `{<x>_id}` that need no other unknown id."""
    accepted = operation.get("responses", {}).get("202")
    if not isinstance(accepted, dict):
        return
    schema = accepted.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = doc.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    named = [p for p in schema.get("properties", {}) if p.endswith("_id")]
    own = set(_PARAM.findall(source))
    links: dict[str, Any] = {}
    for path, target in doc.get("paths", {}).items():
        needed = set(_PARAM.findall(path))
        for work_id in named:
            if work_id not in needed or needed - own - {work_id}:
                continue
            for method in _METHODS:
                op = target.get(method)
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                parameters = {name: f"$request.path.{name}" for name in sorted(own & needed)}
                parameters[work_id] = f"$response.body#/{work_id}"
                tail = path.split("{" + work_id + "}", 1)[1]
                links[_link_name(method, tail, "")] = {"operationId": op["operationId"], "parameters": parameters}
    if links:
        accepted.setdefault("links", {}).update(links)
