"""Two runs that share a cache take turns on a release's environment, and the second says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matrix.paths import ROOT

HOLD = """
import sys
from matrix.envs import release_lock
with release_lock("0.13.3"):
    print("holding", flush=True)
    sys.stdin.read()
print("released", flush=True)
"""


def start(cache: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD],
        cwd=ROOT,
        env={**os.environ, "HOTFIX_CACHE": str(cache)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_second_run_waits_for_the_first_and_says_what_for(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first.stdout is not None and first.stdin is not None
    assert first.stdout.readline() == "holding\n"

    second = start(tmp_path)
    assert second.stdout is not None and second.stdin is not None
    waiting = second.stdout.readline()
    assert waiting.startswith("0.13.3: waiting for another run to finish with its environment")
    assert str(tmp_path / "locks" / "0.13.3.lock") in waiting

    first.stdin.close()
    assert first.stdout.read() == "released\n"
    assert second.stdout.readline() == "holding\n"
    second.stdin.close()
    assert second.stdout.read() == "released\n"
    assert first.wait() == 0
    assert second.wait() == 0


def test_runs_on_different_releases_do_not_wait(tmp_path: Path) -> None:
    first = start(tmp_path)
    assert first.stdout is not None and first.stdin is not None
    assert first.stdout.readline() == "holding\n"
    other = subprocess.run(
        [sys.executable, "-c", HOLD.replace("0.13.3", "0.24.0")],
        cwd=ROOT,
        env={**os.environ, "HOTFIX_CACHE": str(tmp_path)},
        input="",
        capture_output=True,
        text=True,
        check=True,
    )
    first.stdin.close()

    assert other.stdout == "holding\nreleased\n"
    assert first.wait() == 0
