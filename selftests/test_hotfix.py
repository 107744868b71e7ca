"""hotfix.py against a real installed openai-agents: detect, apply, verify, revert, refuse.

Run by `nox -s hotfix`, which installs openai-agents 0.13.3 with the openai of its time into the
session's environment; every test leaves that install as it found it.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hotfix

HOTFIX = Path(hotfix.__file__)


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, HOTFIX, *map(str, args)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def installed() -> Iterator[Path]:
    version, path = hotfix.installed_module()
    assert version == importlib.metadata.version("openai-agents")
    original = path.read_bytes()
    yield path
    if path.read_bytes() != original:
        path.write_bytes(original)
        pytest.fail("the test left the installed SDK modified")


def test_status_reports_an_unpatched_release_as_affected(installed: Path) -> None:
    result = cli("status")

    assert result.returncode == 0
    assert "AFFECTED, unpatched" in result.stdout


def test_apply_verify_and_revert_round_trip(installed: Path) -> None:
    original = installed.read_bytes()
    unpatched = cli("verify")
    assert unpatched.returncode == 1
    assert "Runner.run cannot resume a rejected call" in unpatched.stderr
    assert "No tool output found for function call call_STATUS." in unpatched.stderr

    applied = cli("apply")
    assert applied.returncode == 0, applied.stderr
    assert "patched with" in cli("status").stdout
    verified = cli("verify")
    assert verified.returncode == 0, verified.stderr

    reverted = cli("revert")
    assert reverted.returncode == 0, reverted.stderr
    assert installed.read_bytes() == original


def test_second_apply_is_refused_and_changes_nothing(installed: Path) -> None:
    assert cli("apply").returncode == 0
    patched = installed.read_bytes()

    again = cli("apply")

    assert again.returncode == 1
    assert "already patched" in again.stderr
    assert installed.read_bytes() == patched
    assert cli("revert").returncode == 0


def test_revert_of_an_unpatched_install_is_refused(installed: Path) -> None:
    result = cli("revert")

    assert result.returncode == 1
    assert "is not patched" in result.stderr


def test_locally_modified_file_is_refused_and_left_alone(installed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "oai_conversation.py"
    shutil.copy2(installed, copy)
    with copy.open("a") as handle:
        handle.write("# local change\n")
    before = copy.read_bytes()

    for command in ("apply", "revert", "status"):
        result = cli(command, "--file", copy, "--version", hotfix.installed_module()[0])
        assert result.returncode == 1
        assert "modified locally" in result.stderr
    assert copy.read_bytes() == before


def test_release_without_a_patch_is_refused_with_the_supported_range(installed: Path) -> None:
    result = cli("apply", "--version", "0.12.5")

    assert result.returncode == 1
    assert "0.12.5 is not in patches/series" in result.stderr
    assert "0.13.0 to" in result.stderr


def test_patch_for_another_revision_is_refused(installed: Path) -> None:
    # 0.24.0's patch does not fit 0.13.3's file: nothing may be written.
    before = installed.read_bytes()

    result = cli("apply", "--version", "0.24.0")

    assert result.returncode == 1
    assert "another release" in result.stderr
    assert installed.read_bytes() == before
