"""`python -m matrix random-order`: our tests, patched, many times in random order per release.

Each run is a fresh pytest process with pytest-randomly and its own seed (1 to N), over the
release's upstream tests/ with ours dropped in, as the matrix runs them. pytest-randomly comes
from an overlay directory, so the release's cached environment is not changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from releases import read_manifest

from .envs import held_env, overlay
from .groups import open_case_prefixes, open_groups, our_test_files
from .paths import HOTFIX
from .pytest_server import PYTEST_FLAGS
from .shell import run, say
from .trees import prepare_tree

RANDOMLY = "pytest-randomly==3.16.0"


def random_order(args: argparse.Namespace) -> int:
    """args: releases, runs (pytest runs per release), python (the environments' interpreter)."""
    failed = [
        r for r in args.releases if not check_in_random_order(r, runs=args.runs, python=args.python)
    ]
    return 1 if failed else 0


def check_in_random_order(release: str, *, runs: int, python: str) -> bool:
    with held_env(release, python) as (interpreter, tree, scratch):
        prepared = prepare_tree(tree, scratch)
        env = {
            **os.environ,
            "PYTHONPATH": str(overlay(RANDOMLY, python)),
            "OPENAI_API_KEY": "fake-for-tests",
        }
        hotfix_cli = [interpreter, HOTFIX, "--version", release]
        pytest = [interpreter, "-m", "pytest", *PYTEST_FLAGS, "--tb=line", "-rf", "-p", "randomly"]
        # The cases that fail by design (the next turn the release's patches cannot fix) are
        # left out; the matrix checks that they still fail.
        runner = bool(read_manifest()[release].runner)
        deselected = [f"--deselect={prefix}" for prefix in open_case_prefixes(open_groups(runner))]
        run([*hotfix_cli, "apply"])
        try:
            passed, seconds, failures = 0, [], []
            for seed in range(1, runs + 1):
                started = time.monotonic()
                done = run(
                    [*pytest, f"--randomly-seed={seed}", *our_test_files(), *deselected],
                    cwd=prepared,
                    env=env,
                    check=False,
                )
                seconds.append(time.monotonic() - started)
                if done.returncode == 0:
                    passed += 1
                else:
                    failures.append(f"seed {seed}: {failed_tests(done.stdout)}")
        finally:
            run([*hotfix_cli, "revert"])
    say(
        f"{release} patched, random order: {passed}/{runs} runs passed "
        f"(seeds 1-{runs}; median {statistics.median(seconds):.1f} s a run, whole process)"
    )
    for failure in failures:
        say(f"  {failure}")
    return passed == runs


def failed_tests(output: str) -> str:
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return "; ".join(failed) or (lines[-1] if lines else "no output")
