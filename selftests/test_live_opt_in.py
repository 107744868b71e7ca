"""The live test (release_tests/test_hitl_server_conversation_live.py) runs only when a run opts in.

The opt-in is HITL_LIVE_TESTS=1.

Upstream's CI exports OPENAI_API_KEY=fake-for-tests for every test, and upstream's conftest sets
OPENAI_API_KEY=test_key when it is unset, so neither a key nor a base URL alone may start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from matrix.paths import ROOT
from matrix.pytest_server import plugin_env, read_outcomes
from release_tests.test_hitl_server_conversation_live import live_target

LIVE = "release_tests/test_hitl_server_conversation_live.py"


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OPENAI_API_KEY": "fake-for-tests"},
        {"OPENAI_API_KEY": "sk-a-real-looking-key"},
        {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
        {"HITL_LIVE_TESTS": "1"},
        {"HITL_LIVE_TESTS": "1", "OPENAI_API_KEY": "fake-for-tests"},
        {"HITL_LIVE_TESTS": "1", "OPENAI_API_KEY": "test_key"},
        {"HITL_LIVE_TESTS": "true", "OPENAI_API_KEY": "sk-a-real-looking-key"},
    ],
    ids=lambda environ: ",".join(f"{k}={v}" for k, v in environ.items()) or "empty",
)
def test_without_the_opt_in_and_a_target_the_live_test_has_none(environ: dict[str, str]) -> None:
    assert live_target(environ) is None


def test_the_opt_in_with_a_real_key_targets_the_api() -> None:
    environ = {"HITL_LIVE_TESTS": "1", "OPENAI_API_KEY": "sk-a-real-looking-key"}
    assert live_target(environ) == (None, "sk-a-real-looking-key")


def test_the_opt_in_with_a_base_url_targets_it_with_any_key() -> None:
    url = "http://127.0.0.1:9/v1"
    environ = {"HITL_LIVE_TESTS": "1", "OPENAI_BASE_URL": url, "OPENAI_API_KEY": "fake-for-tests"}
    assert live_target(environ) == (url, "fake-for-tests")
    assert live_target({"HITL_LIVE_TESTS": "1", "OPENAI_BASE_URL": url}) == (url, "loopback")


def outcomes(tmp_path: Path, **variables: str) -> set[str]:
    """Run the live test file in a clean environment; its tests' outcomes, as the matrix reads
    them (matrix/release_env/matrix_outcomes.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HITL_"))}
    env.pop("PYTEST_ADDOPTS", None)
    report = tmp_path / "live.jsonl"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", LIVE]
    subprocess.run(command, cwd=ROOT, env=plugin_env({**env, **variables}, report))
    found = read_outcomes(report)
    by_outcome = {"failed": found.failed, "passed": found.passed, "skipped": found.skipped}
    assert any(by_outcome.values()), "the live test was not collected"
    return {name for name, nodes in by_outcome.items() if nodes}


@pytest.fixture
def standin() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hitl_testkit.loopback_responses_api"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def test_under_upstream_ci_environment_the_live_test_is_skipped(tmp_path: Path) -> None:
    assert outcomes(tmp_path, OPENAI_API_KEY="fake-for-tests") == {"skipped"}


def test_a_real_looking_key_without_the_opt_in_is_skipped(tmp_path: Path, standin: str) -> None:
    variables = {"OPENAI_API_KEY": "sk-a-real-looking-key", "OPENAI_BASE_URL": standin}
    assert outcomes(tmp_path, **variables) == {"skipped"}


def test_with_the_opt_in_the_live_test_runs(tmp_path: Path, standin: str) -> None:
    variables = {"HITL_LIVE_TESTS": "1", "OPENAI_BASE_URL": standin}
    assert "skipped" not in outcomes(tmp_path, **variables)
