"""The lock file is the install: every dependency in pyproject.toml is pinned in requirements.lock at a version
its specifier allows, and the environment the tests run in holds exactly the pinned versions (`make venv`
installs from the lock; `make lock` re-pins after a pyproject change)."""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split(";", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        name, _, version = line.partition("==")
        assert version, f"requirements.lock line is not an exact pin: {line!r}"
        pins[canonicalize_name(name.split("[", 1)[0])] = Version(version.strip())
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return [Requirement(r) for r in [*project["dependencies"], *extras.get("dev", [])]]


def test_every_declared_dependency_is_pinned_within_its_specifier() -> None:
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement}: run `make lock`"
        )


def test_the_environment_holds_the_pinned_versions() -> None:
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        installed = Version(metadata.version(name))
        assert installed == _pins()[name], f"{name} {installed} installed, lock pins {_pins()[name]}: run `make venv`"
