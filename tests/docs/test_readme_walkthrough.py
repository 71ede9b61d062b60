"""The README walkthrough pastes as it is: its shell blocks, in order, in one bash, against a real server.

The walkthrough is every ```bash / ```sh block between `<!-- walkthrough:start -->` and
`<!-- walkthrough:end -->` (the README has several such stretches; they continue one another). The server is
started the way `make run` starts it (`inspection-tracker serve`, embedded SQLite) in a fresh directory that
stands for a fresh clone: `./data` does not exist yet and `.venv` is this test's virtual environment, so the
README's `.venv/bin/inspection-tracker create-user …` creates the admin in that server's database. The only
change made to the text is the port (`127.0.0.1:8000` → a free one). The blocks run in one
`bash` (`set -euo pipefail`, like a careful paste: the first failing command stops it); a failure names the
block and shows its text, the output and the server's log. Every ```text block between the markers is output
the README promises, and must appear in what the blocks print.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.common import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "http://127.0.0.1:8000"
START = "<!-- walkthrough:start -->"
END = "<!-- walkthrough:end -->"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
SERVER_START_TIMEOUT_S = 60
WALKTHROUGH_TIMEOUT_S = 120


@dataclass(frozen=True)
class Walkthrough:
    commands: list[str]  # the shell blocks, in order
    outputs: list[str]  # the ```text blocks: output the README promises


def extract(readme: str) -> Walkthrough:
    """The walkthrough's blocks, from every marked stretch of the README, in document order."""
    starts, ends = readme.count(START), readme.count(END)
    assert starts == ends and starts >= 1, f"README: {starts} {START} and {ends} {END} markers"
    commands: list[str] = []
    outputs: list[str] = []
    for stretch in re.findall(re.escape(START) + "(.*?)" + re.escape(END), readme, re.DOTALL):
        assert START not in stretch, f"README: a {START} without its {END}"
        for lang, body in FENCE.findall(stretch):
            if lang in ("bash", "sh"):
                commands.append(body)
            elif lang == "text":
                outputs.append(body)
    return Walkthrough(commands, outputs)


def script(blocks: list[str], progress: Path) -> str:
    """One bash script: the blocks as pasted, each followed by a line noting it finished (and when)."""
    lines = ["set -euo pipefail"]
    for number, block in enumerate(blocks, 1):
        lines += [block, f'printf "%s %s\\n" {number} "${{EPOCHREALTIME:-}}" >> {shlex.quote(str(progress))}']
    return "\n".join(lines) + "\n"


def test_extract_takes_only_marked_shell_blocks_in_order() -> None:
    readme = (
        "```sh\nmake run\n```\n"
        f"{START}\n```bash\necho one\n```\n```json\n{{}}\n```\n```text\none\n```\n{END}\n"
        "```sh\nmake demo\n```\n"
        f"{START}\n```sh\necho two\n```\n{END}\n"
    )
    assert extract(readme) == Walkthrough(commands=["echo one\n", "echo two\n"], outputs=["one\n"])


def test_extract_refuses_unpaired_markers() -> None:
    with pytest.raises(AssertionError, match="markers"):
        extract(f"{START}\n```bash\necho one\n```\n")


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """A working directory like a fresh clone after `make venv`: `.venv` (this test's environment), no `./data`."""
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "inspection-tracker").exists():
        pytest.skip(f"no inspection-tracker next to {sys.executable}: run the tests from the project's .venv")
    (tmp_path / ".venv").symlink_to(venv_bin.parent, target_is_directory=True)
    return tmp_path


def clean_env(home: Path) -> dict[str, str]:
    """No inherited DATABASE_URL, SECRET_KEY, DATA_DIR or other setting: the defaults of a fresh checkout."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def start_server(workdir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`make run`'s command, on a free port; returns once /healthz answers."""
    command = [".venv/bin/inspection-tracker", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            command, cwd=workdir, env=clean_env(workdir), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(server)
    pytest.fail(f"the server did not answer /healthz within {SERVER_START_TIMEOUT_S} s:\n{log.read_text()}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_readme_walkthrough_pastes_as_is(fresh_clone: Path) -> None:
    walkthrough = extract(README.read_text(encoding="utf-8"))
    assert len(walkthrough.commands) >= 3, "the README walkthrough has lost its shell blocks"
    assert README_URL in walkthrough.commands[0], f"the walkthrough no longer starts by naming {README_URL}"
    port = free_port()
    blocks = [block.replace(README_URL, f"http://127.0.0.1:{port}") for block in walkthrough.commands]
    assert not any("127.0.0.1:8000" in block for block in blocks)
    bash = shutil.which("bash")
    assert bash and shutil.which("curl") and shutil.which("python3"), "the walkthrough needs bash, curl and python3"

    log, progress = fresh_clone / "server.log", fresh_clone / "progress"
    server = start_server(fresh_clone, port, log)
    try:
        started = time.time()
        run = subprocess.run(  # noqa: S603 (the README's own text is what this test runs)
            [bash, "-c", script(blocks, progress)],
            cwd=fresh_clone,
            env=clean_env(fresh_clone),
            capture_output=True,
            text=True,
            timeout=WALKTHROUGH_TIMEOUT_S,
        )
    finally:
        stop(server)

    done = [line.split() for line in progress.read_text().splitlines()] if progress.exists() else []
    if run.returncode != 0 or len(done) != len(blocks):
        failed = len(done)  # the blocks before it all finished
        pytest.fail(
            f"README walkthrough block {failed + 1} of {len(blocks)} failed (bash exit {run.returncode}):\n"
            f"----- block\n{walkthrough.commands[failed]}----- stdout (tail)\n{run.stdout[-3000:]}\n"
            f"----- stderr (tail)\n{run.stderr[-3000:]}\n----- server log (tail)\n{log.read_text()[-3000:]}"
        )
    for output in walkthrough.outputs:
        assert output in run.stdout, f"the README promises this output, the walkthrough did not print it:\n{output}"
    if all(len(line) == 2 for line in done):  # bash >= 5 gives the times ($EPOCHREALTIME)
        times = [started, *(float(at) for _, at in done)]
        steps = ", ".join(f"{b - a:.1f}" for a, b in itertools.pairwise(times))
        print(f"walkthrough: {len(blocks)} blocks in {times[-1] - started:.1f} s (per block: {steps} s)")
