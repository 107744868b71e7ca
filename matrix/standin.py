"""The loopback Responses API stand-in, run as a process for the live test's opt-in path."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .shell import MatrixError


class StandIn:
    """hitl_testkit/loopback_responses_api.py in the release's environment, on 127.0.0.1."""

    def __init__(self, interpreter: Path, tree: Path):
        self.process = subprocess.Popen(
            [interpreter, "-m", "hitl_testkit.loopback_responses_api"],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise MatrixError("the Responses API stand-in did not start")

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
