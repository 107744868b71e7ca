"""`python -m matrix upstream-series`: the series offered upstream, on the newest release's tree.

`git am` of the fix and patches/tests.patch, the pull request, on a repository made from the
newest sdist. Then the tests that tests.patch adds run against the release as published (every one
must fail) and against the series' source tree (every one must pass), together with upstream's own
tests of the files the series changes. The runner helper's removal, an optional follow-up, is then
applied on top, and the same tests must pass again.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from releases import PATCHES, newest_release, release_for

from .envs import held_env
from .paths import TESTS_PATCH
from .shell import MatrixError, run, say
from .trees import IDENTITY

HELPER_REMOVAL = PATCHES / "runner-unsent-ids-helper-removal.patch"
# Upstream's tests of what the series changes: the tracker, the runner's resume paths, HITL.
UPSTREAM_TESTS = (
    "tests/test_server_conversation_tracker.py",
    "tests/test_agent_runner.py",
    "tests/test_agent_runner_streamed.py",
    "tests/test_tool_approval_call_id_reuse.py",
    "tests/test_run_state.py",
)


PYTEST_FLAGS = ("-p", "no:cacheprovider", "-q", "--tb=line", "-rA", "--inline-snapshot=disable")


def series_patches(release: str) -> list[Path]:
    return [PATCHES / release_for(release).patch, TESTS_PATCH]


def outcomes(output: str) -> dict[str, str]:
    """Test id to PASSED / FAILED / ERROR, from pytest's `-rA` summary."""
    found = re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return {node: outcome for outcome, node in found}


def upstream_series(python: str) -> int:
    newest = newest_release()
    ours = re.findall(r"^\+\+\+ b/(\S+)$", TESTS_PATCH.read_text(), re.MULTILINE)
    with held_env(newest, python) as (interpreter, tree, scratch):
        repo = scratch / "series"
        shutil.copytree(tree, repo)
        run(["git", "init", "--quiet"], cwd=repo)
        run(["git", "add", "."], cwd=repo)
        run(["git", *IDENTITY, "commit", "--quiet", "-m", f"{newest} sdist"], cwd=repo)
        patches = series_patches(newest)
        run(["git", *IDENTITY, "am", "--quiet", *patches], cwd=repo)
        say(f"git am on the {newest} sdist: {', '.join(p.name for p in patches)}")
        pytest = [interpreter, "-m", "pytest", *PYTEST_FLAGS]
        env = {**os.environ, "OPENAI_API_KEY": "fake-for-tests"}
        env.pop("PYTHONPATH", None)
        published = outcomes(run([*pytest, *ours], cwd=repo, env=env, check=False).stdout)
        patched_env = {**env, "PYTHONPATH": str(repo / "src")}
        done = run([*pytest, *ours, *UPSTREAM_TESTS], cwd=repo, env=patched_env, check=False)
        patched = outcomes(done.stdout)
        run(["git", *IDENTITY, "am", "--quiet", HELPER_REMOVAL], cwd=repo)
        follow_up = run([*pytest, *ours, *UPSTREAM_TESTS], cwd=repo, env=patched_env, check=False)
        without_helper = outcomes(follow_up.stdout)
    ours_ids = sorted(n for n in patched if n.split("::")[0] in ours)
    if not ours_ids:
        raise MatrixError("the series run collected none of the tests tests.patch adds")
    not_failing = [n for n in ours_ids if published.get(n) == "PASSED"]
    not_passing = sorted(n for n, outcome in patched.items() if outcome != "PASSED")
    say(
        f"{newest} as published: {sum(published.get(n) != 'PASSED' for n in ours_ids)} of "
        f"{len(ours_ids)} added tests fail; with the series: {len(patched) - len(not_passing)} "
        f"of {len(patched)} pass (added tests and upstream's {', '.join(UPSTREAM_TESTS)})"
    )
    for node in not_failing:
        say(f"  passes without the series, so it proves nothing: {node}")
    for node in not_passing:
        say(f"  does not pass with the series: {node} ({patched[node]})")
    not_passing_after = sorted(n for n, outcome in without_helper.items() if outcome != "PASSED")
    say(
        f"with the follow-up {HELPER_REMOVAL.name} on top: "
        f"{len(without_helper) - len(not_passing_after)} of {len(without_helper)} pass"
    )
    for node in not_passing_after:
        say(f"  does not pass with the follow-up: {node} ({without_helper[node]})")
    failed = not_failing or not_passing or not_passing_after
    return 1 if failed or done.returncode or follow_up.returncode else 0
