"""The matrix's one error type, its subprocess runner and its console output."""

from __future__ import annotations

import os
import subprocess
import tempfile
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


def write_whole(path: Path, data: str | bytes) -> None:
    """Write a file under a temporary name and rename it, so no reader sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
