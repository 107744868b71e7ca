"""`python -m matrix check --transitions` checks each place where the manifest's outcome changes."""

from __future__ import annotations

import itertools

import pytest

from matrix import check
from matrix.manifest import failing_without_patches
from releases import numbered, read_manifest


def outcome(version: str) -> tuple:
    release = read_manifest()[version]
    return (
        release.fix_file,
        release.companion_file,
        release.next_turn_files,
        failing_without_patches()[version],
    )


def test_transitions_hold_both_sides_of_every_change_and_the_range_ends() -> None:
    versions = numbered(read_manifest())
    chosen = check.transitions(read_manifest())

    changes = [(a, b) for a, b in itertools.pairwise(versions) if outcome(a) != outcome(b)]
    assert changes, "the manifest records no change at all"
    for before, after in changes:
        assert {before, after} <= set(chosen)
    assert {versions[0], versions[-1]} <= set(chosen)
    # Nothing else: a release is left out when it has the outcome of both its neighbours.
    inner = {v for pair in changes for v in pair} | {versions[0], versions[-1]}
    assert set(chosen) == inner
    assert len(chosen) < len(versions)


def test_transitions_select_main_and_no_release_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    # No release on the index beyond the manifest: the selection is the manifest's alone.
    monkeypatch.setattr(check, "new_releases", lambda prereleases=False: [])
    selected = check.select_releases([], full=False, transitions_only=True)

    assert selected[-1] == "main"
    assert len(selected) == len(set(selected))
