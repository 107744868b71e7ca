"""`python -m matrix upstream-series`: the series offered upstream, on the newest release's tree.

`git am` of patches/upstream/*.patch, the pull request (the fix and its tests, in upstream's own
test files), on a repository made from the newest sdist. Then:

- the test files the series changes are exactly those in tests/;
- every test the series adds fails against the release as published;
- with the series' source, every test of the files it changes passes, with upstream's tests of
  the runner's resume paths;
- with the optional follow-up (patches/upstream/follow-up/*.patch) on top, they pass again.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from releases import PATCHES, newest_release

from .envs import held_env
from .paths import TESTS
from .pytest_server import PytestOutcome, PytestServer, run_pytest
from .shell import MatrixError, run, say
from .trees import IDENTITY

SERIES = sorted((PATCHES / "upstream").glob("*.patch"))
FOLLOW_UP = sorted((PATCHES / "upstream" / "follow-up").glob("*.patch"))
# Upstream's tests of the runner's resume paths, run besides the files the series changes.
RESUME_TESTS = (
    "tests/test_agent_runner.py",
    "tests/test_agent_runner_streamed.py",
    "tests/test_tool_approval_call_id_reuse.py",
    "tests/test_run_state.py",
)


def changed_test_files(patches: list[Path]) -> list[str]:
    found = re.findall(
        r"^diff --git a/(tests/\S+) b/", "".join(p.read_text() for p in patches), re.M
    )
    return sorted(set(found))


def pytest_in(interpreter: Path, repo: Path, src: Path | None, report: Path, files: list[str]):
    """Run pytest on files of the series' repository, with its source or the installed SDK."""
    env = {**os.environ, "OPENAI_API_KEY": "fake-for-tests"}
    env.pop("PYTHONPATH", None)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with PytestServer(interpreter, repo, env) as server:
        outcome = run_pytest(server, report, files, "")
    if outcome.errors:
        raise MatrixError(f"upstream series: {outcome.errors}")
    return outcome


def upstream_series(python: str) -> int:
    newest = newest_release()
    if not SERIES:
        raise MatrixError("patches/upstream holds no patch")
    test_files = changed_test_files(SERIES)
    problems: list[str] = []
    with held_env(newest, python) as (interpreter, tree, scratch):
        repo = scratch / "series"
        shutil.copytree(tree, repo)
        run(["git", "init", "--quiet"], cwd=repo)
        run(["git", "add", "."], cwd=repo)
        run(["git", *IDENTITY, "commit", "--quiet", "-m", f"{newest} sdist"], cwd=repo)
        published_ids = pytest_in(
            interpreter, repo, None, scratch / "published-files.jsonl", test_files
        )
        run(["git", *IDENTITY, "am", "--quiet", *SERIES], cwd=repo)
        say(f"git am on the {newest} sdist: {', '.join(p.name for p in SERIES)}")
        ours = sorted(p.relative_to(TESTS.parent).as_posix() for p in TESTS.rglob("*.py"))
        if ours != test_files:
            problems.append(f"tests/ holds {ours}; the series changes {test_files}")
        problems += [
            f"{name} differs from the series' file"
            for name in test_files
            if (repo / name).read_bytes() != (TESTS.parent / name).read_bytes()
        ]
        published = pytest_in(interpreter, repo, None, scratch / "published.jsonl", test_files)
        everything = [*test_files, *RESUME_TESTS]
        patched = pytest_in(interpreter, repo, repo / "src", scratch / "series.jsonl", everything)
        run(["git", *IDENTITY, "am", "--quiet", *FOLLOW_UP], cwd=repo)
        follow_up = pytest_in(
            interpreter, repo, repo / "src", scratch / "follow-up.jsonl", everything
        )
    before = published_ids.passed | published_ids.failed
    added = sorted((published.passed | published.failed) - before)
    if not added:
        problems.append("the series adds no test")
    passing_unpatched = [node for node in added if node in published.passed]
    say(
        f"{newest} as published: {len(added) - len(passing_unpatched)} of {len(added)} tests the "
        f"series adds fail"
    )
    problems += [f"passes without the series, so it proves nothing: {n}" for n in passing_unpatched]
    follow_up_names = ", ".join(p.name for p in FOLLOW_UP)
    for name, outcome in (("the series", patched), (f"the follow-up {follow_up_names}", follow_up)):
        say(f"with {name}: {pass_count(outcome)} ({', '.join(everything)})")
        problems += [f"fails with {name}: {node}" for node in sorted(outcome.failed)]
    for problem in problems:
        say(f"  {problem}")
    return 1 if problems else 0


def pass_count(outcome: PytestOutcome) -> str:
    total = len(outcome.passed) + len(outcome.failed)
    return f"{len(outcome.passed)} of {total} pass"
