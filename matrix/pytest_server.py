"""Pytest runs in a release's environment, forked from one warm process per release.

This file also runs as a script in the release's environment (the server's side), so it imports
only the standard library at module level, and the matrix's own modules where the matrix calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

PYTEST_FLAGS = (
    "-p",
    "no:cacheprovider",
    "-q",
    "--strict-markers",
    "--tb=no",
    "-o",
    "addopts=",
    "-o",
    "junit_family=xunit1",
    # As in upstream's CI, where inline-snapshot disables itself: snapshot(x) is then plain x, and
    # the plugin does not re-parse every test file at the end of each run (about 1.5 s).
    "--inline-snapshot=disable",
    # Upstream's filterwarnings has no "error", so an unraisable exception is only ever a warning
    # and no outcome depends on this plugin; it spends about 0.4 s a run in gc.collect() at exit.
    "-p",
    "no:unraisableexception",
)
# Imported once per environment by the pytest server, besides pytest; the SDK is not among them.
PRELOAD = ("openai", "pydantic", "httpx", "mcp", "griffe", "pytest_asyncio")


@dataclass
class PytestOutcome:
    failed: set[str]
    passed: set[str]
    errors: str = ""


class PytestServer:
    """Forks each pytest run from one process per release that has imported the SDK's
    dependencies and pytest already. Each run imports `agents` afresh from disk, so it sees the
    file as patched or unpatched at that moment; only the shared start-up cost is paid once.
    """

    def __init__(self, interpreter: Path, tree: Path, env: dict):
        self.process = subprocess.Popen(
            [interpreter, __file__],
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


def run_pytest(
    server: PytestServer, report: Path, targets: list[str], select: str
) -> PytestOutcome:
    """Run pytest in the release's environment and read each test's outcome from JUnit XML."""
    selection = ["-k", select] if select else []
    log = report.with_suffix(".log")
    returncode = server.pytest([*PYTEST_FLAGS, *selection, f"--junitxml={report}", *targets], log)
    if returncode not in (0, 1) or not report.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        return PytestOutcome(set(), set(), f"pytest exited {returncode}: {' / '.join(tail)}")
    # Imported here, on the matrix's side: run as a script, this file has no package around it.
    from .junit import node_id, outcome

    cases = ElementTree.parse(report).iter("testcase")
    by_outcome: dict[str, set[str]] = {"failed": set(), "passed": set(), "skipped": set()}
    for case in cases:
        by_outcome[outcome(case)].add(node_id(case))
    return PytestOutcome(by_outcome["failed"], by_outcome["passed"])


def serve() -> int:
    """The server's side: one JSON request per line in, one exit code per line out."""
    import gc
    import importlib

    sys.path[0] = os.getcwd()  # as `python -m pytest` would have it, not this file's folder
    import pytest

    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    # Keep what is shared out of the children's garbage collections (pytest runs several).
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(log, 1)
                os.dup2(log, 2)
                code = int(pytest.main(request["args"]))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
