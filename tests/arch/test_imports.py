"""The direction of dependencies (DESIGN.md), enforced on the source: every `app.X` import points down the
layers, packages of one layer never import each other both ways, and a router never imports another router.

Layers, lowest first: core ← db ← auth ← registers ← field records ← plans/events/deadlines
← reports/exports/imports/public/health ← web ← the top (main, cli, demo, models). Inside a layer the order
is fixed too (officers above institutions and regions, inspections above hazards, exports above
reports, the CLI above all): an import goes strictly
down, so no two packages can import each other.
When a lower package needs a read from a higher one (inspections check the plan they name, user admin checks
the officer it links), the arrow is inverted, not listed: the lower package declares the reader it needs as a
callable type (`PlanLookup` in app.inspections.service, `OfficerRegion` in app.auth.service), the higher one
implements it in its `queries.py`, and the composition root (`app.main.create_app`, the CLI, the demo) hands it
over; routes receive it through a dependency reading `app.state`.
`KNOWN_BACK_ARROWS` lists the arrows that still point the wrong way (issue 12, item 2); an entry that is
fixed must be removed, so the list can only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

LAYERS: list[set[str]] = [
    {"core"},
    {"db"},
    {"auth"},
    {"institutions", "regions"},
    {"officers"},
    {"hazards"},
    {"inspections"},
    {"plans", "events", "deadlines"},
    {"reports"},
    {"exports", "imports", "public", "health"},
    {"web"},
    {"demo_regions"},  # the demo's data (imports nothing), below the demo that seeds it
    {"main", "demo", "models"},
    {"cli"},
]
LEVEL = {package: level for level, packages in enumerate(LAYERS) for package in packages}

KNOWN_BACK_ARROWS: set[tuple[str, str]] = set()


def _imports() -> Iterator[tuple[str, str]]:
    """(importing module, imported module) for every `app.*` import in the package."""
    for path in sorted(APP.rglob("*.py")):
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("app."):
                    yield module, target


def _package(module: str) -> str:
    return module.split(".")[1]


def test_every_package_has_a_layer() -> None:
    packages = {p.stem if p.is_file() else p.name for p in APP.iterdir() if p.name != "__init__.py"}
    packages = {p for p in packages if not p.startswith("__")}
    assert packages <= LEVEL.keys(), f"place these packages in LAYERS (DESIGN.md): {sorted(packages - LEVEL.keys())}"


def _violations() -> set[tuple[str, str]]:
    found = set()
    for source, target in _imports():
        if _package(source) == _package(target):
            continue
        sideways_or_up = LEVEL[_package(target)] >= LEVEL[_package(source)]
        router_to_router = source.endswith(".router") and target.endswith(".router")
        if sideways_or_up or router_to_router:
            found.add((source, target))
    return found


def test_dependencies_point_down() -> None:
    new = _violations() - KNOWN_BACK_ARROWS
    assert not new, "imports against the direction of dependencies (DESIGN.md):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(new)
    )


def test_known_back_arrows_are_still_there() -> None:
    fixed = KNOWN_BACK_ARROWS - _violations()
    assert not fixed, f"fixed back arrows: remove them from KNOWN_BACK_ARROWS: {sorted(fixed)}"


def test_core_and_db_know_no_domain() -> None:
    for source, target in _imports():
        if _package(source) in {"core", "db"}:
            assert _package(target) in {"core", "db"}, f"{source} imports the domain module {target}"
