"""The tree's commands run in the tree's own .venv, whatever environment runs upstream_ci.

nox points uv and Python at its session's virtualenv (VIRTUAL_ENV, UV_PROJECT_ENVIRONMENT,
UV_PYTHON); if those reach the tree, `uv sync` installs into nox's virtualenv and the tree has no
.venv/bin/python. The suite's steps get one thing of ours: the outcomes plugin, through PYTHONPATH
and PYTEST_ADDOPTS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import upstream_ci
from matrix.__main__ import main
from matrix.pytest_server import RELEASE_ENV, plugin_env

# What nox 2026.10.20 sets for a session with the uv backend, besides UV_PYTHON.
NOX = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
# The other variables that point uv or Python at another environment, project or interpreter.
ELSEWHERE = (
    *NOX,
    "UV_PROJECT",
    "UV_WORKING_DIRECTORY",
    "UV_SYSTEM_PYTHON",
    "UV_INTERNAL__PARENT_INTERPRETER",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "PYTHONHOME",
    "PYTHONPATH",
)
MAKEFILE = """\
sync:
\tuv sync --offline
format-check lint:
\ttrue
mypy:
\tuv run --offline python -c "import sys; print('prefix:', sys.prefix)"
tests-parallel:
\tuv run --offline python -c "import os; print('pythonpath:', os.environ['PYTHONPATH'])"
\tuv run --offline python -c "import os; print('addopts:', os.environ['PYTEST_ADDOPTS'])"
\t{python} -m pytest -q -p no:cacheprovider tests/test_ours.py
"""
PYPROJECT = """\
[project]
name = "tree"
version = "0"
requires-python = ">=3.9"
dependencies = []

[tool.uv]
package = false
"""
FIX = """\
diff --git a/{module} b/{module}
--- a/{module}
+++ b/{module}
@@ -1 +1,2 @@
 x = 1
+y = 2
"""
TESTS = """\
diff --git a/tests/test_ours.py b/tests/test_ours.py
new file mode 100644
--- /dev/null
+++ b/tests/test_ours.py
@@ -0,0 +1 @@
+def test_nothing(): pass
"""


def point_elsewhere(
    monkeypatch: pytest.MonkeyPatch, session: Path, names: tuple[str, ...] = ELSEWHERE
) -> None:
    """Set the variables given, all pointing at a session's virtualenv, and UV_PYTHON too."""
    for name in names:
        monkeypatch.setenv(name, str(session))
    monkeypatch.setenv("UV_PYTHON", str(session / "bin" / "python"))


def test_the_tree_environment_has_nothing_that_points_at_another_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_elsewhere(monkeypatch, tmp_path / "session")
    env = upstream_ci.environment("3.12", 2)
    assert [name for name in ELSEWHERE if name in env] == []
    assert env["UV_PYTHON"] == "3.12"


def test_the_tree_environment_keeps_upstream_ci_settings_and_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", "/some/cache")
    env = upstream_ci.environment("3.12", 2)
    assert env["UV_CACHE_DIR"] == "/some/cache"
    assert env["PATH"]
    assert {k: env[k] for k in upstream_ci.CI_ENV} == upstream_ci.CI_ENV


def test_the_suite_gets_the_outcomes_plugin_and_nothing_else_of_ours_or_noxs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_elsewhere(monkeypatch, tmp_path / "session")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--junitxml=ours.xml")
    env = upstream_ci.environment("3.12", 2)
    assert "PYTHONPATH" not in env and "PYTEST_ADDOPTS" not in env
    outcomes = tmp_path / "logs" / "patched-tests-parallel.outcomes.jsonl"
    suite = plugin_env(env, outcomes)
    assert suite["PYTHONPATH"] == str(RELEASE_ENV)
    assert suite["PYTEST_ADDOPTS"] == f"-p matrix_outcomes --outcomes={outcomes}"
    assert [name for name in ELSEWHERE if name in suite] == ["PYTHONPATH"]
    assert {k: v for k, v in suite.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")} == env


def test_the_outcomes_plugin_goes_before_a_pythonpath_already_set(tmp_path: Path) -> None:
    env = plugin_env({"PYTHONPATH": "/somewhere"}, tmp_path / "outcomes.jsonl")
    assert env["PYTHONPATH"] == f"{RELEASE_ENV}{os.pathsep}/somewhere"


@pytest.mark.skipif(not shutil.which("uv") or not shutil.which("make"), reason="needs uv, make")
def test_under_a_nox_session_a_tree_syncs_into_its_own_venv_and_its_steps_run_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tree = tmp_path / "upstream"
    (tree / upstream_ci.TRACKER_FILE).parent.mkdir(parents=True)
    (tree / upstream_ci.TRACKER_FILE).write_text("x = 1\n")
    (tree / "Makefile").write_text(MAKEFILE.format(python=sys.executable))
    (tree / "pyproject.toml").write_text(PYPROJECT)
    subprocess.run(["uv", "lock", "--offline", "--quiet"], cwd=tree, check=True)
    (tmp_path / "fix.patch").write_text(FIX.format(module=upstream_ci.TRACKER_FILE))
    (tmp_path / "tests.patch").write_text(TESTS)
    session = tmp_path / "session"
    point_elsewhere(monkeypatch, session, NOX)
    out = tmp_path / "out"
    argv = ["upstream-ci", "--upstream", str(tree), "--skip-unpatched", "--out", str(out)]
    argv += ["--patch", str(tmp_path / "fix.patch"), "--patch", str(tmp_path / "tests.patch")]

    assert main(argv) == 0
    report = json.loads((out / "upstream-ci-report.json").read_text())
    assert report["python"].startswith("Python 3.")
    assert not session.exists()
    prefix = (out / "upstream-ci" / "patched-mypy.log").read_text().split("prefix: ")[1]
    assert Path(prefix.strip()).parts[-2:] == ("tree", ".venv")
    # The suite's step sees the plugin's folder alone on PYTHONPATH, and pytest records through it.
    outcomes = out / "upstream-ci" / "patched-tests-parallel.outcomes.jsonl"
    suite_log = (out / "upstream-ci" / "patched-tests-parallel.log").read_text()
    assert f"pythonpath: {RELEASE_ENV}\n" in suite_log
    assert f"addopts: -p matrix_outcomes --outcomes={outcomes}\n" in suite_log
    assert report["patched"]["counts"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert report["patched"]["ours"] == {"passed": 1, "failed": 0, "skipped": 0}
