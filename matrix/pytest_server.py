"""Pytest runs in a release's environment, forked from one warm process per release, and their
outcomes under pytest's own node ids.

The server's side is release_env/pytest_server.py, a script that runs in the release's
environment. Every run loads the plugin release_env/matrix_outcomes.py, which records each test's
node id and outcome as pytest reports them; read_outcomes() reads them back.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Code that runs in a release's environment: the standard library and pytest only.
RELEASE_ENV = Path(__file__).resolve().parent / "release_env"
SERVER = RELEASE_ENV / "pytest_server.py"
PLUGIN = "matrix_outcomes"
PYTEST_FLAGS = (
    "-p",
    "no:cacheprovider",
    "-q",
    "--strict-markers",
    "--tb=no",
    "-o",
    "addopts=",
    # As in upstream's CI, where inline-snapshot disables itself: snapshot(x) is then plain x, and
    # the plugin does not re-parse every test file at the end of each run (about 1.5 s).
    "--inline-snapshot=disable",
    # Upstream's filterwarnings has no "error", so an unraisable exception is only ever a warning
    # and no outcome depends on this plugin; it spends about 0.4 s a run in gc.collect() at exit.
    "-p",
    "no:unraisableexception",
)


@dataclass
class PytestOutcome:
    """Node ids by outcome; errors says why a run gave none. messages holds each failure's first
    line, groups each of our tests' group (its `group` marker), in the order the tests ran."""

    failed: set[str]
    passed: set[str]
    errors: str = ""
    skipped: set[str] = field(default_factory=set)
    messages: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def failing_groups(self) -> list[str]:
        """Our groups with a failed test, in the order the tests ran."""
        failed = {self.groups[node] for node in self.failed if node in self.groups}
        return [group for group in dict.fromkeys(self.groups.values()) if group in failed]


class PytestServer:
    """Forks each pytest run from one process per release that has imported the SDK's
    dependencies and pytest already. Each run imports `agents` afresh from disk, so it sees the
    file as patched or unpatched at that moment; only the shared start-up cost is paid once.
    """

    def __init__(self, interpreter: Path, tree: Path, env: dict):
        self.process = subprocess.Popen(
            [interpreter, SERVER],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def pytest(self, args: list[str], log: Path) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "log": str(log)}) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            from .shell import MatrixError

            raise MatrixError("the pytest server in the release's environment exited")
        return int(reply)

    def __enter__(self) -> PytestServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


def outcomes_args(outcomes: Path) -> list[str]:
    """pytest's arguments that load the plugin and have it record to the file given."""
    return ["-p", PLUGIN, f"--outcomes={outcomes}"]


def plugin_env(env: dict[str, str], outcomes: Path) -> dict[str, str]:
    """env with the plugin in every pytest run of a process the server did not fork: its folder
    first on PYTHONPATH, and PYTEST_ADDOPTS loading it."""
    pythonpath = os.pathsep.join(p for p in (str(RELEASE_ENV), env.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": pythonpath, "PYTEST_ADDOPTS": shlex.join(outcomes_args(outcomes))}


def run_pytest(
    server: PytestServer,
    outcomes_file: Path,
    targets: list[str],
    select: str,
    options: Sequence[str] = (),
) -> PytestOutcome:
    """Run pytest on targets in the release's environment, with -k select if given and any more
    options; outcomes_file is the file the plugin records to, and pytest's output goes next to it,
    as .log."""
    selection = ["-k", select, *options] if select else list(options)
    log = outcomes_file.with_suffix(".log")
    if log == outcomes_file:
        log = outcomes_file.with_suffix(".pytest.log")
    # The plugin appends, so a file left by an earlier run would add its tests to this one.
    outcomes_file.unlink(missing_ok=True)
    returncode = server.pytest(
        [*PYTEST_FLAGS, *selection, *outcomes_args(outcomes_file), *targets], log
    )
    if returncode not in (0, 1) or not outcomes_file.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        return PytestOutcome(set(), set(), f"pytest exited {returncode}: {' / '.join(tail)}")
    return read_outcomes(outcomes_file)


def read_outcomes(path: Path) -> PytestOutcome:
    """Each test's outcome from the file matrix_outcomes wrote, under pytest's node id; where a
    node id has several lines (pytest run more than once on one file), the last counts."""
    final: dict[str, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            final[entry["nodeid"]] = entry
    outcome = PytestOutcome(set(), set())
    by_outcome = {"failed": outcome.failed, "passed": outcome.passed, "skipped": outcome.skipped}
    for node, entry in final.items():
        by_outcome[entry["outcome"]].add(node)
        if entry["outcome"] == "failed":
            outcome.messages[node] = entry.get("message", "")
        if "group" in entry:
            outcome.groups[node] = entry["group"]
    return outcome
