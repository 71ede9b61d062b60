"""tools/vendor.toml and the vendored files agree (sha256 of every file, no file unlisted)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools import vendor


def test_committed_files_match_the_manifest() -> None:
    packages = vendor.load_manifest()
    assert len(packages) >= 2
    assert vendor.check(packages) == []


def test_check_reports_a_changed_a_missing_and_an_unlisted_file(tmp_path: Path) -> None:
    manifest = tmp_path / "tools" / "vendor.toml"
    manifest.parent.mkdir()
    shutil.copy(vendor.MANIFEST, manifest)
    packages = vendor.load_manifest(manifest, root=tmp_path)
    for pkg in vendor.load_manifest():
        shutil.copytree(pkg.dest, tmp_path / pkg.dest.relative_to(vendor.ROOT))
    assert vendor.check(packages) == []

    first, second = packages[0], packages[1]
    changed = first.target(next(iter(first.files)))
    changed.write_bytes(changed.read_bytes() + b" ")
    missing = second.target(next(iter(second.files)))
    missing.unlink()
    extra = second.dest / "stray.js"
    extra.write_text("//", encoding="utf-8")
    assert vendor.check(packages) == [
        f"{changed}: sha256 differs from tools/vendor.toml",
        f"{missing}: missing",
        f"{extra}: not in tools/vendor.toml",
    ]


def test_every_served_vendor_file_is_in_the_manifest() -> None:
    """Every file under a `static/vendor/` folder of the package (docs and console) is pinned in the manifest."""
    listed = {pkg.target(member) for pkg in vendor.load_manifest() for member in pkg.files}
    served = {p for p in (vendor.ROOT / "app").glob("**/static/vendor/**/*") if p.is_file()}
    assert served, "no vendored static files found"
    assert sorted(served - listed) == []
    assert any(p.name == "echarts.common.min.js" for p in served)  # the console's charts
