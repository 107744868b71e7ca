"""matrix/upstream.py's own rules, on small trees: the tree's environment, whatever runs the matrix,
and which failures count against the patches (a green `nox -s upstream` never reaches them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import upstream
from matrix.shell import run
from matrix.trees import IDENTITY

# What nox sets for a session with the uv backend, each pointing at the session's virtualenv.
NOX = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")
PYPROJECT = """\
[project]
name = "tree"
version = "0"
requires-python = ">=3.9"

[tool.uv]
package = false
"""
# A target that fails on the release as published too, for a script the sdist lacks.
MAKEFILE = """\
sync:
\tuv sync --offline
lint:
\tpython3 .github/scripts/check.py
"""
TESTS = """\
import pathlib


def test_shared():
    assert False


def test_broken_by_the_patch():
    assert not pathlib.Path("patched").exists()
"""


def test_the_tree_environment_is_the_trees_own_with_the_index_and_cache_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (*NOX, "PYTHONPATH", "PYTEST_ADDOPTS", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, str(tmp_path / "session"))
    monkeypatch.setenv("UV_CACHE_DIR", "/some/cache")
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://index.example/simple")
    env = upstream.tree_env("/usr/bin/python3.12")
    assert str(tmp_path / "session") not in env.values()
    assert env["UV_PYTHON"] == "/usr/bin/python3.12" and env["UV_FROZEN"] == "1"
    assert env["UV_CACHE_DIR"] == "/some/cache"
    assert env["UV_DEFAULT_INDEX"] == "https://index.example/simple"


def test_the_file_checks_give_each_tool_the_files_the_makefile_gives_it() -> None:
    checks = upstream.file_checks(["docs/a.md", "src/agents/a.py", "tests/test_a.py"])
    assert checks["format-check"][-3:] == ["docs/a.md", "src/agents/a.py", "tests/test_a.py"]
    assert checks["mypy"] == ["uv", "run", "mypy", "src/agents/a.py"]
    assert checks["pyright"][-2:] == ["src/agents/a.py", "tests/test_a.py"]
    assert list(upstream.file_checks(["docs/a.md"])) == ["format-check", "lint"]


def git(repo: Path, *args: str) -> None:
    run(["git", *IDENTITY, *args], cwd=repo)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A release as published, then a patch that adds the file `patched`."""
    repo = tmp_path / "release"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_it.py").write_text(TESTS)
    (repo / "Makefile").write_text(MAKEFILE)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "published")
    git(repo, "tag", upstream.PUBLISHED)
    (repo / "patched").write_text("")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the patch")
    return repo


def test_only_failures_the_patches_bring_count(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = {
        "ok": ["true"],
        "lint": ["make", "lint"],
        "tests": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        "new": ["test", "!", "-e", "patched"],
    }
    assert upstream.run_checks(repo, "r", checks, {"PATH": "/usr/bin:/bin"}, tmp_path / "logs") == 2
    said = capsys.readouterr().out
    assert "r: ok: ok in" in said
    missing = "(its recipe runs .github/scripts/check.py, which the sdist lacks)"
    assert f"r: lint: fails on the release as published too {missing}" in said
    assert "r: tests: FAILED with the patches" in said
    assert "tests/test_it.py::test_broken_by_the_patch" in said
    assert "test_shared" not in said.split("r: tests: FAILED")[1].splitlines()[0]
    assert "r: new: FAILED with the patches" in said
    assert (repo / "patched").exists()


@pytest.mark.skipif(not shutil.which("uv") or not shutil.which("make"), reason="needs uv, make")
def test_under_a_nox_session_make_sync_makes_the_trees_own_venv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text(PYPROJECT)
    (tree / "Makefile").write_text(MAKEFILE)
    subprocess.run(["uv", "lock", "--offline", "--quiet"], cwd=tree, check=True)
    session = tmp_path / "session"
    for name in NOX:
        monkeypatch.setenv(name, str(session))
    run(["make", "sync"], cwd=tree, env=upstream.tree_env(sys.executable))
    assert (tree / ".venv" / "bin" / "python").exists()
    assert not session.exists()
