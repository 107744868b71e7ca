"""`python -m matrix random-order`: our tests, patched, many times in random order per release.

Each run is a pytest session with pytest-randomly and its own seed (1 to N), over the release's
upstream tests/ with ours dropped in, as the matrix runs them: forked from the release's pytest
server, so it imports `agents` afresh, and read back through the outcomes plugin. pytest-randomly
comes from an overlay directory on PYTHONPATH, so the release's cached environment is not changed.
The patches go on with hotfix.py's functions and always come off again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import hotfix
from releases import release_for

from .envs import held_env, overlay, site_packages
from .groups import fails_by_design, our_test_files
from .manifest import failing_without_patches
from .pytest_server import PytestOutcome, PytestServer, run_pytest
from .shell import say
from .trees import prepare_tree

RANDOMLY = "pytest-randomly==3.16.0"


def random_order(args: argparse.Namespace) -> int:
    """args: releases, runs (pytest runs per release), python (the environments' interpreter)."""
    failed = [
        r for r in args.releases if not check_in_random_order(r, runs=args.runs, python=args.python)
    ]
    return 1 if failed else 0


def check_in_random_order(release: str, *, runs: int, python: str) -> bool:
    fix = hotfix.read_fix(release_for(release))
    # The groups that fail by design (the next turns the release's patches cannot fix) are left
    # out; the matrix checks that they still fail.
    open_groups = sorted(
        group
        for group in failing_without_patches()[release]
        if fails_by_design(group, next_turn_patches=bool(fix.next_turn))
    )
    deselected = [f"--deselect-groups={','.join(open_groups)}"]
    with held_env(release, python) as (interpreter, tree, scratch):
        prepared = prepare_tree(tree, scratch)
        site = site_packages(interpreter)
        env = {
            **os.environ,
            "PYTHONPATH": str(overlay(RANDOMLY, python)),
            "OPENAI_API_KEY": "fake-for-tests",
        }
        hotfix.apply(fix, site)
        try:
            passed, seconds, failures = 0, [], []
            with PytestServer(interpreter, prepared, env) as server:
                for seed in range(1, runs + 1):
                    started = time.monotonic()
                    randomly = ["-p", "randomly", f"--randomly-seed={seed}", *deselected]
                    outcome = run_pytest(
                        server, scratch / f"seed-{seed}.jsonl", our_test_files(), "", randomly
                    )
                    seconds.append(time.monotonic() - started)
                    if outcome.errors or outcome.failed or not outcome.passed:
                        failures.append(f"seed {seed}: {failed_tests(outcome)}")
                    else:
                        passed += 1
        finally:
            hotfix.revert(fix, site)
    say(
        f"{release} patched, random order: {passed}/{runs} runs passed "
        f"(seeds 1-{runs}; median {statistics.median(seconds):.1f} s a run, forked)"
    )
    for failure in failures:
        say(f"  {failure}")
    return passed == runs


def failed_tests(outcome: PytestOutcome) -> str:
    """The failed tests' node ids with their first line, or why the run gave no outcomes."""
    if outcome.errors:
        return outcome.errors
    failed = [f"{node} ({outcome.messages.get(node, '')})" for node in sorted(outcome.failed)]
    return "; ".join(failed) or "no test ran"
