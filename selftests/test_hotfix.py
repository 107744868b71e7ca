"""hotfix.py against a real installed openai-agents: detect, apply, verify, revert, refuse.

Run by `nox -s hotfix`, which installs openai-agents 0.13.3 with the openai of its time into the
session's environment; every test leaves that install as it found it. 0.13.3 takes a companion
patch on top of the fix (patches/manifest), so each state is checked: unpatched, the fix alone, the
fix and its companion.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hotfix
import releases

HOTFIX = Path(hotfix.__file__)
RELEASE = releases.read_manifest()[importlib.metadata.version("openai-agents")]
FIX = hotfix.read_fix(RELEASE)
assert FIX.companion is not None, "the hotfix session's release must take a companion patch"
COMPANION = FIX.companion


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


def blob(path: Path) -> str:
    return releases.git_blob(path.read_bytes())


def test_status_reports_an_unpatched_release_as_affected(installed: Path) -> None:
    result = cli("status")

    assert result.returncode == 0
    assert "AFFECTED, unpatched" in result.stdout
    assert f"{FIX.patch.path.name} and {COMPANION.path.name}" in result.stdout


def test_apply_puts_on_the_fix_and_its_companion_in_one_step(installed: Path) -> None:
    applied = cli("apply")

    assert applied.returncode == 0, applied.stderr
    assert f"applied {FIX.patch.path.name} and {COMPANION.path.name}" in applied.stdout
    assert blob(installed) == COMPANION.fixed_blob
    status = cli("status")
    assert status.returncode == 0
    assert f"patched with {FIX.patch.path.name} and {COMPANION.path.name}" in status.stdout
    assert cli("revert").returncode == 0


def test_fix_only_applies_the_fix_alone_and_status_names_the_missing_companion(
    installed: Path,
) -> None:
    applied = cli("apply", "--fix-only")

    assert applied.returncode == 0, applied.stderr
    assert f"applied {FIX.patch.path.name} to" in applied.stdout
    assert blob(installed) == FIX.patch.fixed_blob
    status = cli("status")
    assert status.returncode == 0
    assert f"patched with {FIX.patch.path.name} only" in status.stdout
    assert f"without {COMPANION.path.name}" in status.stdout
    assert cli("revert").returncode == 0


def test_apply_on_the_fix_alone_adds_the_companion(installed: Path) -> None:
    assert cli("apply", "--fix-only").returncode == 0

    added = cli("apply")

    assert added.returncode == 0, added.stderr
    assert f"applied {COMPANION.path.name} to" in added.stdout
    assert blob(installed) == COMPANION.fixed_blob
    assert cli("revert").returncode == 0


@pytest.mark.parametrize("apply_args", [(), ("--fix-only",)], ids=["fix+companion", "fix-only"])
def test_revert_restores_the_release_file_from_either_state(
    installed: Path, apply_args: tuple[str, ...]
) -> None:
    original = installed.read_bytes()
    assert cli("apply", *apply_args).returncode == 0

    reverted = cli("revert")

    assert reverted.returncode == 0, reverted.stderr
    assert installed.read_bytes() == original
    assert "AFFECTED, unpatched" in cli("status").stdout


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


@pytest.mark.parametrize("apply_args", [(), ("--fix-only",)], ids=["fix+companion", "fix-only"])
def test_second_apply_is_refused_and_changes_nothing(
    installed: Path, apply_args: tuple[str, ...]
) -> None:
    assert cli("apply", *apply_args).returncode == 0
    patched = installed.read_bytes()

    again = cli("apply", *apply_args)

    assert again.returncode == 1
    assert "already patched" in again.stderr
    assert installed.read_bytes() == patched
    assert cli("revert").returncode == 0


def test_fix_only_over_the_companion_is_refused_and_changes_nothing(installed: Path) -> None:
    assert cli("apply").returncode == 0
    patched = installed.read_bytes()

    result = cli("apply", "--fix-only")

    assert result.returncode == 1
    assert "run `hotfix.py revert` first" in result.stderr
    assert installed.read_bytes() == patched
    assert cli("revert").returncode == 0


@pytest.mark.parametrize(
    "args",
    [("apply", "--bogus"), ("apply", "--fix"), ("apply", "--companion-only"), ("revert", "-x")],
)
def test_unknown_flag_is_refused_with_usage_and_changes_nothing(
    installed: Path, args: tuple[str, ...]
) -> None:
    for apply_args in [None, (), ("--fix-only",)]:
        if apply_args is not None:
            assert cli("apply", *apply_args).returncode == 0
        before = installed.read_bytes()

        result = cli(*args)

        assert result.returncode == 2
        assert result.stderr.startswith("usage: ")
        assert "unrecognized arguments" in result.stderr
        assert installed.read_bytes() == before
        if apply_args is not None:
            assert cli("revert").returncode == 0


@pytest.mark.parametrize("command", ["status", "revert", "verify"])
def test_fix_only_outside_apply_is_refused_with_usage(installed: Path, command: str) -> None:
    before = installed.read_bytes()

    result = cli(command, "--fix-only")

    assert result.returncode == 2
    assert result.stderr.startswith("usage: ")
    assert "--fix-only goes with apply only" in result.stderr
    assert installed.read_bytes() == before


def test_a_companion_that_does_not_fit_leaves_the_file_untouched(
    installed: Path, tmp_path: Path
) -> None:
    # The fix fits and the companion does not: the file must not be left with the fix alone.
    copy = tmp_path / "oai_conversation.py"
    shutil.copy2(installed, copy)
    before = copy.read_bytes()
    old_start, new_start, lines = COMPANION.hunks[0]
    unfit = ((old_start + 1, new_start + 1, lines), *COMPANION.hunks[1:])
    broken = hotfix.Fix(FIX.patch, dataclasses.replace(COMPANION, hunks=unfit))

    with pytest.raises(releases.PatchError, match="does not fit"):
        hotfix.apply(RELEASE.version, copy, broken)

    assert copy.read_bytes() == before


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

    for command in (("apply",), ("apply", "--fix-only"), ("revert",), ("status",)):
        result = cli(*command, "--file", copy, "--version", hotfix.installed_module()[0])
        assert result.returncode == 1
        assert "modified locally" in result.stderr
    assert copy.read_bytes() == before


def test_release_without_a_patch_is_refused_with_the_supported_range(installed: Path) -> None:
    result = cli("apply", "--version", "0.12.5")

    assert result.returncode == 1
    assert "0.12.5 is not in patches/manifest" in result.stderr
    assert "0.13.0 to" in result.stderr


def test_patch_for_another_revision_is_refused(installed: Path) -> None:
    # 0.24.0's patch does not fit 0.13.3's file: nothing may be written.
    before = installed.read_bytes()

    result = cli("apply", "--version", "0.24.0")

    assert result.returncode == 1
    assert "another release" in result.stderr
    assert installed.read_bytes() == before
