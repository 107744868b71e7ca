"""The tree's commands run in the tree's own .venv, whatever environment runs upstream_ci.

nox points uv and Python at its session's virtualenv (VIRTUAL_ENV, UV_PROJECT_ENVIRONMENT,
UV_PYTHON); if those reach the tree, `uv sync` installs into nox's virtualenv and the tree has no
.venv/bin/python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import upstream_ci
from matrix.__main__ import main

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


@pytest.mark.skipif(not shutil.which("uv") or not shutil.which("make"), reason="needs uv, make")
def test_under_a_nox_session_a_tree_syncs_into_its_own_venv_and_its_steps_run_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tree = tmp_path / "upstream"
    (tree / upstream_ci.TRACKER_FILE).parent.mkdir(parents=True)
    (tree / upstream_ci.TRACKER_FILE).write_text("x = 1\n")
    (tree / "Makefile").write_text(MAKEFILE)
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
