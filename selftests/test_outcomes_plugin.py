"""The outcomes plugin records each test's group from its `group` marker and leaves groups out on
request: the step "adding a test group" of docs/maintaining.md rests on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matrix.groups import failing_groups
from matrix.pytest_server import plugin_env, read_outcomes

TESTS = """
import pytest

pytestmark = pytest.mark.group("whole-file")


def test_passes():
    pass


@pytest.mark.parametrize(
    "mode", [pytest.param(m, marks=pytest.mark.group(f"per-case:{m}")) for m in ("a", "b")]
)
def test_fails_in_one_mode(mode):
    assert mode == "a"
"""


def run(tmp_path: Path, *options: str) -> Path:
    (tmp_path / "test_grouped.py").write_text(TESTS)
    outcomes = tmp_path / "outcomes.jsonl"
    env = plugin_env({k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}, outcomes)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *options]
    subprocess.run([*command, "test_grouped.py"], cwd=tmp_path, env=env, capture_output=True)
    return outcomes


def test_each_outcome_carries_the_group_of_the_closest_marker(tmp_path: Path) -> None:
    outcome = read_outcomes(run(tmp_path))

    assert outcome.groups == {
        "test_grouped.py::test_passes": "whole-file",
        "test_grouped.py::test_fails_in_one_mode[a]": "per-case:a",
        "test_grouped.py::test_fails_in_one_mode[b]": "per-case:b",
    }
    assert failing_groups(outcome) == (["per-case:b"], [])


def test_deselected_groups_are_not_run(tmp_path: Path) -> None:
    outcome = read_outcomes(run(tmp_path, "--deselect-groups=per-case:b,whole-file"))

    assert outcome.passed == {"test_grouped.py::test_fails_in_one_mode[a]"}
    assert outcome.failed == set()
