"""The matrix run: which releases, checked in parallel, with a line each and a report."""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from pathlib import Path

from packaging.version import Version

from releases import Release, numbered, read_manifest, release_for

from .index import index_versions
from .manifest import NOT_IN_MANIFEST, failing_without_patches, new_releases
from .paths import ROOT
from .release import Row, check_release
from .report import markdown, write_report
from .shell import say


def transitions(manifest: dict[str, Release]) -> list[str]:
    """The range's ends, and each release whose patch, companion or failing groups differ from
    those of the release before it, with that release: where the manifest's outcome changes."""
    failing = failing_without_patches()

    def outcome(version: str) -> tuple:
        row = manifest[version]
        return row.fix_file, row.companion_file, row.next_turn_files, failing[version]

    versions = numbered(manifest)
    chosen = {versions[0], versions[-1]}
    for before, after in itertools.pairwise(versions):
        if outcome(before) != outcome(after):
            chosen |= {before, after}
    return sorted(chosen, key=Version)


def select_releases(
    requested: list[str], *, full: bool, transitions_only: bool = False, prereleases: bool = False
) -> list[str]:
    """Return the releases to check: requested ones, the full range, the releases where the
    outcome changes, or the quick default.

    Releases on the index that patches/manifest does not list yet are checked in the full range,
    the transitions and the quick default, and may be requested by name; pre- and dev releases
    only with `prereleases`, as pip leaves them out unless asked.
    """
    manifest = read_manifest()
    versions = numbered(manifest)
    if requested:
        unknown = [v for v in requested if v not in manifest]
        on_index = set(index_versions(prereleases=True)) if unknown else set()
        for version in unknown:
            if version not in on_index:
                release_for(version, manifest)
        return requested
    new = new_releases(prereleases=prereleases)
    if full:
        return [*sorted([*versions, *new], key=Version), "main"]
    if transitions_only:
        return [*sorted({*transitions(manifest), *new}, key=Version), "main"]
    quick: dict[str, str] = {}
    for version in versions:
        quick.setdefault(manifest[version].fix_file, version)
    return sorted({*quick.values(), versions[-1], *new}, key=Version) + ["main"]


def run_matrix(
    releases: list[str],
    *,
    jobs: int,
    python: str,
    upstream: Path | None,
    keep: bool,
    report_dir: Path,
) -> int:
    say(f"checking {len(releases)} releases with {jobs} jobs: {' '.join(releases)}")
    started = time.monotonic()
    rows: dict[str, Row] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        # Newest first: they run the most upstream tests, so the slowest start first and the last
        # wave of jobs is short.
        futures = [
            pool.submit(
                check_release, r, python=python, upstream=upstream, keep=keep, proposals=report_dir
            )
            for r in reversed(releases)
        ]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row = future.result()
            rows[row.release] = row
            verdict = "skipped" if row.skipped else ("ok" if row.ok else "FAILED")
            detail = (
                row.skipped
                or "; ".join(row.problems)
                or (
                    f"unpatched fails {', '.join(row.unpatched) or 'nothing'}, "
                    f"patched {row.patched}"
                )
            )
            if not row.in_manifest:
                detail += f" ({NOT_IN_MANIFEST}: `nox -s manifest -- --update` writes its row)"
            say(
                f"[{done}/{len(releases)}] {row.release:<7} {verdict:<7} "
                f"{row.seconds:5.1f}s {detail}"
            )
    ordered = [rows[r] for r in releases]
    wall = time.monotonic() - started
    write_report(ordered, wall, report_dir)
    failed = [row.release for row in ordered if not row.ok]
    shown = report_dir.relative_to(ROOT) if report_dir.is_relative_to(ROOT) else report_dir
    say(f"\n{markdown(ordered)}")
    say(
        f"{len(ordered) - len(failed)} ok, {len(failed)} failed"
        f"{': ' + ' '.join(failed) if failed else ''}; {wall:.1f} s wall; report in {shown}/"
    )
    return 1 if failed else 0
