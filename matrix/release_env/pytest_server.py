"""The pytest server's side: forks each pytest run from one warm process in a release's environment.

`matrix.pytest_server.PytestServer` starts this script with the release's interpreter, in the tree
to test. It imports pytest and the SDK's dependencies once, then reads one JSON request a line,
`{"args": [...], "log": PATH}`, forks a child that runs pytest.main(args) with its output in the
log, and answers with the child's exit code, one a line. It runs in the release's environment:
standard library and pytest only, never the matrix.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import sys
import traceback

# Imported once per environment, besides pytest; the SDK is not among them, so that each run
# imports it afresh from disk and sees the file as patched or unpatched at that moment.
PRELOAD = ("openai", "pydantic", "httpx", "mcp", "griffe", "pytest_asyncio")


def serve() -> int:
    """One JSON request per line in, one exit code per line out."""
    here = os.path.dirname(os.path.abspath(__file__))
    # As `python -m pytest` would have it: the tree first, not this file's folder. The folder
    # goes last, where `-p matrix_outcomes` finds the plugin and nothing of the tree's is shadowed.
    sys.path[0] = os.getcwd()
    sys.path.append(here)
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
            except BaseException:
                # os._exit below skips the interpreter's own report of the exception.
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
