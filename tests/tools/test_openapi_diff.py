"""tools/openapi_diff.py: a document may only gain; every kind of loss is named."""

from __future__ import annotations

import copy
from typing import Any

from tools.openapi_diff import compare

OLD: dict[str, Any] = {
    "paths": {
        "/x": {
            "get": {
                "parameters": [{"in": "query", "name": "q", "required": False}],
                "responses": {"200": {}, "404": {}},
            }
        }
    },
    "components": {
        "schemas": {
            "XCreate": {"properties": {"a": {}, "b": {}}, "required": ["a"]},
            "Kind": {"enum": ["one", "two"]},
        }
    },
}


def test_additions_are_gains_only() -> None:
    new = copy.deepcopy(OLD)
    new["paths"]["/y"] = {"post": {"responses": {"201": {}}}}
    new["paths"]["/x"]["get"]["responses"]["429"] = {}
    new["components"]["schemas"]["Kind"]["enum"].append("three")
    new["components"]["schemas"]["XCreate"]["properties"]["c"] = {}
    lost, gained = compare(OLD, new)
    assert lost == []
    assert set(gained) == {
        "operation POST /y",
        "GET /x: status 429",
        "schema Kind: enum value three",
        "schema XCreate: property c",
    }


def test_every_loss_is_named() -> None:
    new = copy.deepcopy(OLD)
    del new["paths"]["/x"]["get"]["responses"]["404"]
    new["paths"]["/x"]["get"]["parameters"][0]["required"] = True
    new["components"]["schemas"]["XCreate"]["required"].append("b")
    new["components"]["schemas"]["Kind"]["enum"].remove("two")
    lost, _ = compare(OLD, new)
    assert set(lost) == {
        "GET /x: status 404",
        "GET /x: parameter query:q became required",
        "schema XCreate: b became required",
        "schema Kind: enum value two",
    }
    assert compare(OLD, {"paths": {}, "components": {"schemas": {}}})[0] == [
        "operation GET /x",
        "schema XCreate",
        "schema Kind",
    ]
