"""The matrix's one error type, its subprocess runner and its console output."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

_print_lock = threading.Lock()


class MatrixError(Exception):
    """A problem with the request or the environment, reported in one line."""


def run(args: list[str | Path], *, cwd: Path | None = None, env: dict | None = None, check=True):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise MatrixError(f"{' '.join(map(str, args[:4]))} failed: {' / '.join(tail)}")
    return result


def say(message: str) -> None:
    with _print_lock:
        print(message, flush=True)
