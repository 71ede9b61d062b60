"""What an OpenAPI document lost against an earlier one: the contract may only gain (API.md: add freely, never
rename). Prints every removed path, operation, documented status, parameter, schema, schema property, enum value
and required-ness gained by a request field, then the count of additions; exits 1 when anything was lost.

    python tools/openapi_diff.py OLD.json NEW.json
    python tools/openapi_diff.py --dump > openapi.json     # this checkout's document (create_app().openapi())
"""

from __future__ import annotations

import json
import sys
from typing import Any

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in doc.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS
    }


def _params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{p.get('in')}:{p.get('name')}": p for p in op.get("parameters", [])}


def compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(losses, gains) as lines."""
    lost: list[str] = []
    gained: list[str] = []
    old_ops, new_ops = _operations(old), _operations(new)
    for name, op in old_ops.items():
        if name not in new_ops:
            lost.append(f"operation {name}")
            continue
        now = new_ops[name]
        for status in op.get("responses", {}):
            if status not in now.get("responses", {}):
                lost.append(f"{name}: status {status}")
        for key, param in _params(op).items():
            if key not in _params(now):
                lost.append(f"{name}: parameter {key}")
            elif _params(now)[key].get("required") and not param.get("required"):
                lost.append(f"{name}: parameter {key} became required")
        gained += [f"{name}: status {s}" for s in now.get("responses", {}) if s not in op.get("responses", {})]
        gained += [f"{name}: parameter {k}" for k in _params(now) if k not in _params(op)]
    gained += [f"operation {name}" for name in new_ops if name not in old_ops]
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            lost.append(f"schema {name}")
            continue
        now = new_schemas[name]
        old_props, new_props = schema.get("properties", {}), now.get("properties", {})
        lost += [f"schema {name}: property {p}" for p in old_props if p not in new_props]
        gained += [f"schema {name}: property {p}" for p in new_props if p not in old_props]
        if name.endswith("Create") or name.endswith("Update") or "Request" in name:
            newly = set(now.get("required", [])) - set(schema.get("required", []))
            lost += [f"schema {name}: {p} became required" for p in sorted(newly) if p in old_props]
        if "enum" in schema:
            lost += [f"schema {name}: enum value {v}" for v in schema["enum"] if v not in now.get("enum", [])]
            gained += [f"schema {name}: enum value {v}" for v in now.get("enum", []) if v not in schema["enum"]]
    gained += [f"schema {name}" for name in new_schemas if name not in old_schemas]
    return lost, gained


def main(argv: list[str]) -> int:
    if argv[:1] == ["--dump"]:
        from app.core.config import Settings
        from app.main import create_app

        key = "openapi-diff-only-not-a-secret-key-0123"
        doc = create_app(Settings(SECRET_KEY=key)).openapi()
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as a, open(argv[1], encoding="utf-8") as b:
        lost, gained = compare(json.load(a), json.load(b))
    for line in lost:
        print(f"LOST   {line}")
    for line in gained:
        print(f"gained {line}")
    print(f"{len(lost)} lost, {len(gained)} gained")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
