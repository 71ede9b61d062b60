"""Third-party files kept in the repository, fetched from their package registries: `make vendor`.

tools/vendor.toml lists each package: `registry` (npm or pypi), `name`, `version` (pinned), `dest` (the folder
its files go to; `{version}` is replaced) and `files` (path inside the package archive → sha256 of the file).

Rules:
- Fetching uses the registry's own client: `npm pack NAME@VERSION`, `pip download --no-deps NAME==VERSION`
  (a wheel). npm paths are written without the archive's leading `package/`.
- Every listed file must match its sha256, else nothing is written and the command fails; `--update` records
  the hashes of what was fetched instead (after a version change: review the diff).
- A file is written to `dest` under its base name; a dest folder holds exactly the listed files.
- `--check` fetches nothing: it compares the committed files with the manifest (the test suite does the same).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tools" / "vendor.toml"
REGISTRIES = ("npm", "pypi")


@dataclass(frozen=True, slots=True)
class Package:
    registry: str
    name: str
    version: str
    dest: Path
    files: dict[str, str]  # path inside the archive → sha256

    def target(self, member: str) -> Path:
        return self.dest / Path(member).name


def load_manifest(path: Path = MANIFEST, root: Path = ROOT) -> list[Package]:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    packages = []
    for entry in data.get("package", []):
        if entry["registry"] not in REGISTRIES:
            raise ValueError(f"{entry['name']}: registry must be one of {REGISTRIES}, not {entry['registry']!r}")
        files = dict(entry.get("files", {}))
        if len({Path(m).name for m in files}) != len(files):
            raise ValueError(f"{entry['name']}: two listed files share a base name")
        dest = root / entry["dest"].format(version=entry["version"])
        packages.append(Package(entry["registry"], entry["name"], entry["version"], dest, files))
    return packages


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(packages: list[Package]) -> list[str]:
    """What differs between the committed files and the manifest (empty when everything matches)."""
    problems: list[str] = []
    for pkg in packages:
        wanted = {pkg.target(member): digest for member, digest in pkg.files.items()}
        for path, digest in wanted.items():
            if not path.is_file():
                problems.append(f"{path}: missing")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{path}: sha256 differs from tools/vendor.toml")
        if pkg.dest.is_dir():
            problems.extend(f"{p}: not in tools/vendor.toml" for p in sorted(pkg.dest.iterdir()) if p not in wanted)
    return problems


def _fetch_npm(pkg: Package, tmp: Path) -> dict[str, bytes]:
    out = subprocess.run(  # noqa: S603
        ["npm", "pack", f"{pkg.name}@{pkg.version}", "--pack-destination", str(tmp), "--silent"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    with tarfile.open(tmp / out[-1]) as archive:
        contents = {}
        for member in pkg.files:
            extracted = archive.extractfile(f"package/{member}")
            if extracted is None:
                raise FileNotFoundError(f"{pkg.name}@{pkg.version}: {member} is not a file")
            contents[member] = extracted.read()
        return contents


def _fetch_pypi(pkg: Package, tmp: Path) -> dict[str, bytes]:
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*pip, f"{pkg.name}=={pkg.version}", "--dest", str(tmp)], check=True)  # noqa: S603
    (wheel,) = tmp.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {member: archive.read(member) for member in pkg.files}


def fetch(pkg: Package) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        return (_fetch_npm if pkg.registry == "npm" else _fetch_pypi)(pkg, Path(tmp))


def _record(path: Path, pkg: Package, contents: dict[str, bytes]) -> None:
    """Rewrite the sha256 of `pkg`'s files in the manifest text (its layout and comments kept)."""
    text = path.read_text(encoding="utf-8")
    for member, digest in pkg.files.items():
        text = text.replace(f'"{member}" = "{digest}"', f'"{member}" = "{sha256(contents[member])}"', 1)
    path.write_text(text, encoding="utf-8")


def vendor(packages: list[Package], *, update: bool, manifest: Path = MANIFEST) -> list[str]:
    problems: list[str] = []
    for pkg in packages:
        contents = fetch(pkg)
        wrong = [m for m, digest in pkg.files.items() if sha256(contents[m]) != digest]
        if wrong and not update:
            problems.extend(f"{pkg.name}@{pkg.version}: {m}: sha256 differs from tools/vendor.toml" for m in wrong)
            continue
        if wrong:
            _record(manifest, pkg, contents)
        pkg.dest.mkdir(parents=True, exist_ok=True)
        for member, data in contents.items():
            pkg.target(member).write_bytes(data)
        print(f"{pkg.name}@{pkg.version}: {len(contents)} files in {pkg.dest.relative_to(ROOT)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare the committed files with the manifest only")
    mode.add_argument("--update", action="store_true", help="record the sha256 of what was fetched")
    args = parser.parse_args(argv)
    packages = load_manifest()
    problems = check(packages) if args.check else vendor(packages, update=args.update)
    if not args.check and not problems:
        problems = check(load_manifest())
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
