"""`python -m matrix upstream-series`: the series offered upstream, on the newest release's tree.

`git am` of patches/upstream/*.patch, the pull request (the fix and its tests, in upstream's own
test files), on a repository made from the newest sdist. Then:

- the test files the series changes are exactly those in tests/;
- every test the series adds fails against the release as published;
- with the series' source, every test of the files it changes passes, with upstream's tests of
  the runner's resume paths;
- with each optional follow-up (patches/upstream/follow-up/*.patch) on top, in order, they pass
  again, and of the tests a follow-up adds at least one fails on the source before it; those that
  pass there guard what it must not break, and are named.
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


# A test function a patch adds.
ADDED_TEST = re.compile(r"^\+(?:async )?def (test_\w+)\(", re.M)


def test_name(node: str) -> str:
    """A pytest node id's function name, without its parameters."""
    return node.rpartition("::")[2].partition("[")[0]


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
    with held_env(newest, python, whole=True) as (interpreter, tree, scratch):
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
        follow_ups: list[tuple[str, PytestOutcome, list[str]]] = []
        for number, follow_up in enumerate(FOLLOW_UP):
            before = scratch / f"src-before-{number}"
            shutil.copytree(repo / "src", before)
            run(["git", *IDENTITY, "am", "--quiet", follow_up], cwd=repo)
            files = sorted({*everything, *changed_test_files([follow_up])})
            report = scratch / f"follow-up-{number}.jsonl"
            new = pytest_in(interpreter, repo, repo / "src", report, files)
            follow_ups.append((f"the follow-up {follow_up.name}", new, files))
            names = set(ADDED_TEST.findall(follow_up.read_text()))
            added = sorted(n for n in new.passed | new.failed if test_name(n) in names)
            if added:
                report = scratch / f"follow-up-{number}-before.jsonl"
                old = pytest_in(interpreter, repo, before, report, added)
                failing = f"{len(old.failed)} of {len(added)} tests it adds fail before it"
                say(f"{follow_up.name}: {failing}")
                if not old.failed:
                    problems.append(f"{follow_up.name}: no test it adds fails before it")
                for node in sorted(old.passed):
                    say(f"  guards, passes before it too: {node}")
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
    for name, result, files in (("the series", patched, everything), *follow_ups):
        say(f"with {name}: {pass_count(result)} ({', '.join(files)})")
        problems += [f"fails with {name}: {node}" for node in sorted(result.failed)]
    for problem in problems:
        say(f"  {problem}")
    return 1 if problems else 0


def pass_count(outcome: PytestOutcome) -> str:
    total = len(outcome.passed) + len(outcome.failed)
    return f"{len(outcome.passed)} of {total} pass"
