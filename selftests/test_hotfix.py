"""hotfix.py against a real installed openai-agents: detect, apply, verify, revert, refuse.

Run by `nox -s hotfix`, once on 0.13.3 (the fix and a companion patch, upstream #3621) and once
on 0.24.0 (the fix and the next-turn patches of the next-turn fix, four files), each with the openai
of its lock; every test leaves the install as it found it. Callers read the state from
`status --json` and the exit status, never from the prose.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hotfix
import releases

HOTFIX = Path(hotfix.__file__)
VERSION = importlib.metadata.version("openai-agents")
FIX = hotfix.read_fix(releases.read_manifest()[VERSION])
ALL = [name for chain in FIX.chains().values() for name in (p.path.name for p in chain)]
NOT_COMPANION = [name for name in ALL if FIX.companion is None or name != FIX.companion.path.name]
needs_companion = pytest.mark.skipif(FIX.companion is None, reason="no companion patch")
needs_next_turn = pytest.mark.skipif(not FIX.next_turn, reason="no next-turn patches")


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, HOTFIX, *map(str, args)], capture_output=True, text=True, check=False
    )


def state(*args: str | Path) -> dict:
    result = cli("status", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def installed() -> Iterator[Path]:
    """The installed site-packages; its patched files are restored if a test leaves them."""
    version, site = hotfix.installed_site()
    assert version == VERSION
    files = {site / module: (site / module).read_bytes() for module in FIX.chains()}
    yield site
    changed = [path for path, data in files.items() if path.read_bytes() != data]
    for path in changed:
        path.write_bytes(files[path])
    if changed:
        pytest.fail(f"the test left {changed} modified")


def copied_site(installed: Path, tmp_path: Path) -> Path:
    """A copy of the files the release's patches change, laid out as in site-packages."""
    site = tmp_path / "site"
    for module in FIX.chains():
        (site / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(installed / module, site / module)
    return site


def snapshot(site: Path) -> dict[str, bytes]:
    return {module: (site / module).read_bytes() for module in FIX.chains()}


def test_status_reports_an_unpatched_release_as_affected(installed: Path) -> None:
    result = cli("status")

    assert result.returncode == 0
    assert state() == {
        "wheel": None,
        "version": VERSION,
        "site": str(installed),
        "state": "unpatched",
        "applied": [],
        "missing": ALL,
        "next_turn_fix": bool(FIX.next_turn),
        "next_turn_note": hotfix.next_turn_note(FIX),
    }


def test_apply_puts_on_every_patch_in_one_step(installed: Path) -> None:
    applied = cli("apply")

    assert applied.returncode == 0, applied.stderr
    assert f"applied {', '.join(ALL)}" in applied.stdout
    for module, chain in FIX.chains().items():
        assert releases.git_blob((installed / module).read_bytes()) == chain[-1].fixed_blob
    assert state()["state"] == "patched"
    assert state()["applied"] == ALL
    assert cli("revert").returncode == 0


@needs_companion
def test_fix_only_leaves_off_the_companion_and_status_names_it(installed: Path) -> None:
    applied = cli("apply", "--fix-only")

    assert applied.returncode == 0, applied.stderr
    assert f"applied {', '.join(NOT_COMPANION)} to" in applied.stdout
    assert state()["state"] == "fix-only"
    assert FIX.companion is not None
    assert state()["missing"] == [FIX.companion.path.name]
    assert "upstream #3621" in cli("status").stdout
    assert cli("revert").returncode == 0


@needs_companion
def test_apply_on_the_fix_alone_adds_the_companion(installed: Path) -> None:
    assert cli("apply", "--fix-only").returncode == 0

    added = cli("apply")

    assert added.returncode == 0, added.stderr
    assert FIX.companion is not None
    assert f"applied {FIX.companion.path.name} to" in added.stdout
    assert state()["state"] == "patched"
    assert cli("revert").returncode == 0


@needs_next_turn
def test_apply_on_an_install_with_the_fix_alone_adds_the_next_turn_patches(installed: Path) -> None:
    # As an install patched before the package carried next-turn patches.
    fix_path = installed / releases.MODULE
    fix_path.write_text(releases.apply_hunks(fix_path.read_text(), FIX.fix))
    assert state()["state"] == "partly patched"

    added = cli("apply")

    assert added.returncode == 0, added.stderr
    assert f"applied {', '.join(p.path.name for p in FIX.next_turn)} to" in added.stdout
    assert state()["state"] == "patched"
    assert cli("revert").returncode == 0


@pytest.mark.parametrize("apply_args", [(), ("--fix-only",)], ids=["all", "fix-only"])
def test_revert_restores_the_release_files_from_either_state(
    installed: Path, apply_args: tuple[str, ...]
) -> None:
    original = snapshot(installed)
    assert cli("apply", *apply_args).returncode == 0

    reverted = cli("revert")

    assert reverted.returncode == 0, reverted.stderr
    assert snapshot(installed) == original
    assert state()["state"] == "unpatched"


def test_apply_verify_and_revert_round_trip(installed: Path) -> None:
    original = snapshot(installed)
    unpatched = cli("verify")
    assert unpatched.returncode == hotfix.EXIT_VERIFY_FAILED
    assert "No tool output found for function call" in unpatched.stderr

    assert cli("apply").returncode == 0
    verified = cli("verify")
    assert verified.returncode == 0, verified.stderr
    if FIX.next_turn:
        assert "the next turn after a run that ends on a tool output is accepted" in verified.stdout
    else:
        assert "no next-turn fix for" in verified.stdout

    assert cli("revert").returncode == 0
    assert snapshot(installed) == original


@pytest.mark.parametrize("apply_args", [(), ("--fix-only",)], ids=["all", "fix-only"])
def test_second_apply_is_refused_as_nothing_to_do_and_changes_nothing(
    installed: Path, apply_args: tuple[str, ...]
) -> None:
    assert cli("apply", *apply_args).returncode == 0
    patched = snapshot(installed)

    again = cli("apply", *apply_args)

    assert again.returncode == hotfix.EXIT_NOTHING_TO_DO
    assert snapshot(installed) == patched
    assert cli("revert").returncode == 0


@needs_companion
def test_fix_only_over_the_companion_is_refused_and_changes_nothing(installed: Path) -> None:
    assert cli("apply").returncode == 0
    patched = snapshot(installed)

    result = cli("apply", "--fix-only")

    assert result.returncode == hotfix.EXIT_REFUSED
    assert "run `hotfix.py revert` first" in result.stderr
    assert snapshot(installed) == patched
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
        before = snapshot(installed)

        result = cli(*args)

        assert result.returncode == 2
        assert result.stderr.startswith("usage: ")
        assert "unrecognized arguments" in result.stderr
        assert snapshot(installed) == before
        if apply_args is not None:
            assert cli("revert").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "--fix-only"), "--fix-only goes with apply only"),
        (("verify", "--fix-only"), "--fix-only goes with apply only"),
        (("apply", "--json"), "--json goes with status only"),
    ],
)
def test_a_flag_with_the_wrong_command_is_refused_with_usage(
    installed: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(installed)

    result = cli(*args)

    assert result.returncode == 2
    assert result.stderr.startswith("usage: ")
    assert message in result.stderr
    assert snapshot(installed) == before


def test_a_patch_that_does_not_fit_leaves_every_file_untouched(
    installed: Path, tmp_path: Path
) -> None:
    # The last patch of the last file does not fit: no file may be left patched.
    site = copied_site(installed, tmp_path)
    before = snapshot(site)
    last = FIX.next_turn[-1] if FIX.next_turn else FIX.companion
    assert last is not None
    old_start, new_start, lines = last.hunks[0]
    moved = (old_start + 1, new_start + 1, lines)
    unfit = dataclasses.replace(last, hunks=(moved, *last.hunks[1:]))
    if FIX.next_turn:
        broken = dataclasses.replace(FIX, next_turn=(*FIX.next_turn[:-1], unfit))
    else:
        broken = dataclasses.replace(FIX, companion=unfit)

    with pytest.raises(releases.PatchError, match="does not fit"):
        hotfix.apply(broken, site)

    assert snapshot(site) == before


def test_a_failed_write_puts_back_the_files_already_written(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = copied_site(installed, tmp_path)
    before = snapshot(site)
    real_write = hotfix.write_atomically
    writes: list[Path] = []

    def failing_last_write(path: Path, data: str | bytes, expected_blob: str | None = None) -> None:
        writes.append(path)
        if len(writes) == len(FIX.chains()):
            raise OSError("disk full")
        real_write(path, data, expected_blob)

    monkeypatch.setattr(hotfix, "write_atomically", failing_last_write)

    with pytest.raises(OSError, match="disk full"):
        hotfix.apply(FIX, site)

    monkeypatch.setattr(hotfix, "write_atomically", real_write)
    assert snapshot(site) == before


def test_revert_of_an_unpatched_install_is_nothing_to_do(installed: Path) -> None:
    result = cli("revert")

    assert result.returncode == hotfix.EXIT_NOTHING_TO_DO
    assert "is not patched" in result.stderr


def test_a_locally_modified_file_is_refused_and_every_file_left_alone(
    installed: Path, tmp_path: Path
) -> None:
    site = copied_site(installed, tmp_path)
    # The last file the release's patches change, so that earlier ones would be written first.
    with (site / list(FIX.chains())[-1]).open("a") as handle:
        handle.write("# local change\n")
    before = snapshot(site)

    for command in (("apply",), ("apply", "--fix-only"), ("revert",), ("status",)):
        result = cli(*command, "--site", site, "--version", VERSION)
        assert result.returncode == hotfix.EXIT_REFUSED
        assert "modified locally" in result.stderr
    assert snapshot(site) == before


def test_site_without_version_is_refused_with_usage(installed: Path) -> None:
    result = cli("status", "--site", installed)

    assert result.returncode == 2
    assert "--site needs --version" in result.stderr


def test_release_without_a_patch_is_refused_with_the_supported_range(installed: Path) -> None:
    result = cli("apply", "--version", "0.12.5")

    assert result.returncode == hotfix.EXIT_REFUSED
    assert "0.12.5 is not in patches/manifest" in result.stderr
    assert "0.13.0 to" in result.stderr


def test_patches_for_another_release_are_refused_and_change_nothing(installed: Path) -> None:
    other = "0.13.3" if VERSION != "0.13.3" else "0.24.0"
    before = snapshot(installed)

    result = cli("apply", "--version", other)

    assert result.returncode == hotfix.EXIT_REFUSED
    assert "another release" in result.stderr
    assert snapshot(installed) == before


def test_status_points_to_the_carry_workaround_where_no_patch_reaches(installed: Path) -> None:
    report = state()
    note = report["next_turn_note"]

    assert report["next_turn_fix"] is bool(FIX.next_turn)
    assert hotfix.CARRY in note
    assert cli("status").stdout.splitlines()[-1] == note
    if FIX.next_turn:
        assert "on previous_response_id, prepend" in note
    else:
        assert note.startswith(f"no next-turn fix for openai-agents {VERSION} ")


@pytest.mark.parametrize(
    "args",
    [("wheel", "--version", VERSION), ("wheel", "--out", "wheelhouse"), ("status", "--out", "x")],
)
def test_wheel_without_its_arguments_is_refused_with_usage(
    installed: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = subprocess.run(
        [sys.executable, HOTFIX, *args], capture_output=True, text=True, cwd=tmp_path
    )

    assert result.returncode == 2
    assert "wheel needs --version and --out" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_wheel_of_a_release_without_a_patch_is_refused_and_builds_nothing(
    installed: Path, tmp_path: Path
) -> None:
    result = cli("wheel", "--version", "0.12.5", "--out", tmp_path / "wheelhouse")

    assert result.returncode == hotfix.EXIT_REFUSED
    assert "0.12.5 is not in patches/manifest" in result.stderr
    assert not (tmp_path / "wheelhouse").exists()


def test_wheel_into_a_file_is_refused_and_builds_nothing(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "wheelhouse"
    out.write_text("a file\n")

    result = cli("wheel", "--version", VERSION, "--out", out)

    assert result.returncode == hotfix.EXIT_REFUSED
    assert "is not a directory; nothing built" in result.stderr
    assert list(tmp_path.iterdir()) == [out]
    assert out.read_text() == "a file\n"
