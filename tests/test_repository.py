"""The tree holds no half-resolved merge: no line of a source, test or document starts with a conflict marker."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["app", "tests", "migrations", "bench", "tools", ".ci"]
TOP_FILES = ["README.md", "SECURITY.md", "Makefile", "pyproject.toml", "docker-compose.yml", "Dockerfile"]
SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".html", ".js", ".css", ".txt", ".mako", ".ini", ""}
MARKERS = ("<<<<<<< ", ">>>>>>> ", "=======\n")


def _files() -> list[Path]:
    found = [ROOT / name for name in TOP_FILES if (ROOT / name).exists()]
    for folder in CHECKED:
        for path in (ROOT / folder).rglob("*"):
            if (
                path.is_file()
                and path.suffix in SUFFIXES
                and "vendor" not in path.parts
                and "__pycache__" not in path.parts
            ):
                found.append(path)
    return found


def test_no_conflict_markers() -> None:
    hits = []
    for path in _files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(lines, 1) if line.startswith(MARKERS)]
    assert not hits, f"conflict markers left by a merge: {hits}"
