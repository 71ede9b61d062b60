"""docker-compose.yml is valid for compose v1 (docker-compose 1.29, Debian 12's) and v2, checked against the
schema each one validates with (vendored by tools/vendor.py); no Docker engine is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = {
    "compose v1 (docker-compose 1.29.2)": SCHEMAS / "docker-compose-1.29.2" / "compose_spec.json",
    "compose v2 (Compose Specification)": SCHEMAS / "compose-spec-via-check-jsonschema-0.39.0" / "compose-spec.json",
}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _errors(schema_file: Path, document: dict[str, Any]) -> list[str]:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("schema_file", SCHEMA_FILES.values(), ids=SCHEMA_FILES.keys())
def test_compose_file_matches_the_schema(schema_file: Path) -> None:
    assert _errors(schema_file, _compose()) == []


def test_v1_schema_refuses_what_docker_compose_1_29_refuses() -> None:
    """The check can fail: a top-level `name:` (which made 1.29 stop) is an error under the v1 schema."""
    document = {**_compose(), "name": "inspection-tracker"}
    assert _errors(SCHEMA_FILES["compose v1 (docker-compose 1.29.2)"], document) == [
        "(top): 'name' does not match any of the regexes: '^x-'"
    ]


def test_no_top_level_version_or_name() -> None:
    assert {"version", "name"} & _compose().keys() == set()


def test_data_volumes_keep_their_names_whatever_the_project_name() -> None:
    volumes = _compose()["volumes"]
    assert volumes == {
        "pgdata": {"name": "inspection-tracker_pgdata"},
        "data": {"name": "inspection-tracker_data"},
    }


def test_api_believes_x_forwarded_for_from_the_network_gateway_only() -> None:
    """A proxy on the host reaches the container from the compose network's gateway: that is the default."""
    compose = _compose()
    environment = compose["services"]["api"]["environment"]
    (ipam,) = compose["networks"]["default"]["ipam"]["config"]
    assert environment["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-" + ipam["gateway"] + "}"
    assert ipam["gateway"] == "172.31.240.1" and ipam["subnet"] == "172.31.240.0/24"
    assert compose["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]
