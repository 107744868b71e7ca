"""One release's check: install it, test it unpatched and patched, check the git patches."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hotfix import EXIT_NOTHING_TO_DO
from releases import MODULE, PATCHES, PatchError, Release, git_blob, read_manifest, read_patch

from .envs import env_dir, make_env, pinned, pins, release_lock
from .groups import (
    EXPECTED_WITH_COMPANION,
    UPSTREAM_SELECTION,
    failing_groups,
    fails_by_design,
    our_test_files,
    upstream_test_files,
)
from .manifest import failing_without_patches, patch_for
from .paths import CACHE, HOTFIX
from .pytest_server import PytestServer, run_pytest
from .shell import MatrixError, run
from .standin import StandIn
from .trees import check_git_apply, prepare_tree, release_source


@dataclass
class Row:
    release: str
    revision: str = ""
    fix_file: str = ""
    companion_file: str = ""
    openai: str = ""
    pydantic: str = ""
    expected_unpatched: list[str] = field(default_factory=list)
    unpatched: list[str] = field(default_factory=list)
    unpatched_error: str = ""
    patched: str = ""
    # The groups that fail by design (groups.fails_by_design) and fail without the patches; they
    # fail with them too.
    open_groups: list[str] = field(default_factory=list)
    upstream_suite: str = ""
    expected_with_companion: list[str] = field(default_factory=list)
    apply_check: str = ""
    seconds: float = 0.0
    ok: bool = False
    skipped: str = ""
    problems: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    in_manifest: bool = True


@contextlib.contextmanager
def timed(row: Row, step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        row.steps[step] = round(time.monotonic() - started, 2)


def check_release(
    release: str, *, python: str, upstream: Path | None, keep: bool, proposals: Path
) -> Row:
    """Install one release and check the patch on it; problems are collected in the row."""
    started = time.monotonic()
    row = Row(release)
    manifest = read_manifest()
    row.in_manifest = release in manifest
    # The release hotfix.py picks the patch by; for a release not in the manifest yet, a release
    # with the same file revision.
    known_as = release
    if row.in_manifest:
        row.fix_file = manifest[release].fix_file
        failing = failing_without_patches()[release]
        row.expected_unpatched = sorted(failing)
    work = Path(tempfile.mkdtemp(prefix=f"matrix-{release}-", dir=CACHE))
    try:
        with timed(row, "fetch"):
            source = release_source(release, work, upstream)
        if isinstance(source, str):
            row.skipped, row.ok = source, True
            return row
        if not row.in_manifest:
            row.fix_file, known_as = patch_for(release, source.tree, work, proposals)
        row.companion_file = manifest[known_as].companion_file or ""
        patch = read_patch(PATCHES / row.fix_file)
        row.revision = git_blob((source.tree / "src" / MODULE).read_bytes())[:8]
        if row.revision != patch.base_blob[:8]:
            raise MatrixError(
                f"{release}'s oai_conversation.py is revision {row.revision}, but "
                f"{row.fix_file} fits {patch.base_blob[:8]}: a new patch is needed"
            )
        with contextlib.ExitStack() as held:
            where = work / "env"
            if release != "main":
                where = env_dir(release, python)
                held.enter_context(release_lock(where.name))
            downstream = [PATCHES / name for name in manifest[known_as].patch_files]
            with timed(row, "install"):
                requirements = pins(release, source, python)
                interpreter = make_env(where, requirements, source.package, python, downstream)
            row.openai = pinned(requirements, "openai")
            row.pydantic = pinned(requirements, "pydantic")
            tree = prepare_tree(source.tree, work)
            with timed(row, "git"):
                row.apply_check = check_git_apply(source.tree, downstream)
            with StandIn(interpreter, tree) as standin:
                # The live test opts in and talks to the loopback stand-in, never to the API.
                env = {
                    **os.environ,
                    "HITL_LIVE_TESTS": "1",
                    "OPENAI_BASE_URL": standin.url,
                    "OPENAI_API_KEY": "loopback",
                }
                env.pop("PYTHONPATH", None)
                # Reused environments then import from bytecode instead of compiling every time.
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                with PytestServer(interpreter, tree, env) as server:
                    check_tests(row, interpreter, manifest[known_as], tree, server, work)
        row.ok = not row.problems
    except (MatrixError, PatchError) as error:
        row.problems.append(str(error))
    finally:
        row.seconds = round(time.monotonic() - started, 1)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return row


def check_tests(
    row: Row, interpreter: Path, manifest_row: Release, tree: Path, server: PytestServer, work: Path
) -> None:
    """Ours unpatched, patch, ours and upstream's patched, and upstream's unpatched if needed.

    `hotfix.py apply` puts on the patches of `manifest_row`: the release's row, or for a release
    not yet in the manifest, the row of a release with the same file revision.
    """
    ours = our_test_files()
    upstream_files = upstream_test_files(tree)
    cli = [interpreter, HOTFIX, "--version", manifest_row.version]
    with timed(row, "unpatched"):
        unpatched = run_pytest(server, work / "unpatched.jsonl", ours, "")
    row.unpatched, partial = failing_groups(unpatched)
    if not row.in_manifest:
        # Nothing to compare with: the measurement is what `manifest --update` writes.
        row.expected_unpatched = list(row.unpatched)
    if unpatched.errors:
        row.problems.append(f"unpatched: {unpatched.errors}")
    elif set(row.unpatched) != set(row.expected_unpatched):
        row.problems.append(
            f"unpatched failures {row.unpatched or ['none']} differ from patches/manifest "
            f"{row.expected_unpatched or ['none']}"
        )
    row.problems += [f"unpatched: only {note}" for note in partial]

    with timed(row, "apply"):
        run([*cli, "apply"], cwd=work)
        again = run([*cli, "apply"], cwd=work, check=False)
        if again.returncode != EXIT_NOTHING_TO_DO:
            row.problems.append(
                f"a second `hotfix.py apply` exited {again.returncode}, not "
                f"{EXIT_NOTHING_TO_DO} (nothing to do)"
            )
    with timed(row, "patched"):
        patched = run_pytest(
            server, work / "patched.jsonl", ours + upstream_files, UPSTREAM_SELECTION
        )
    if patched.errors:
        row.problems.append(f"patched: {patched.errors}")
    next_turn_patches = bool(manifest_row.next_turn_files)
    groups = patched.groups
    expected_to_pass = {
        node
        for node, group in groups.items()
        if not fails_by_design(group, next_turn_patches=next_turn_patches)
    }
    ours_failed = sorted(expected_to_pass & patched.failed)
    ours_passed = expected_to_pass & patched.passed
    row.patched = f"{len(ours_failed)} FAILED" if ours_failed else f"{len(ours_passed)} passed"
    if ours_failed or not ours_passed:
        row.problems.append(f"patched: {', '.join(ours_failed) or 'none of our tests ran'}")
    # A group the patches cannot fix fails with them wherever it fails without them, in every
    # case.
    row.open_groups = [
        g for g in row.unpatched if fails_by_design(g, next_turn_patches=next_turn_patches)
    ]
    fixed_in_part = sorted(n for n in patched.passed if groups.get(n) in row.open_groups)
    if fixed_in_part or set(row.open_groups) - set(patched.failing_groups()):
        row.problems.append(
            f"groups the patches were not expected to fix pass with them: {fixed_in_part}; "
            "update fails_by_design() in matrix/groups.py"
        )

    upstream_failed = sorted(n for n in patched.failed if n not in groups)
    upstream_total = len([n for n in patched.passed | patched.failed if n not in groups])
    expected = EXPECTED_WITH_COMPANION.get(row.revision, ()) if row.companion_file else ()
    passing_expected = sorted(n for n in patched.passed if n in expected)
    if passing_expected:
        row.problems.append(
            f"expected to fail with the companion, but passed: {passing_expected}; "
            "update EXPECTED_WITH_COMPANION in matrix/groups.py"
        )
    with timed(row, "revert"):
        run([*cli, "revert"], cwd=work)
    new: list[str] = []
    if upstream_failed:
        # Only failures the unpatched SDK does not share count against the patches.
        before = run_pytest(server, work / "upstream.jsonl", upstream_failed, "")
        new = sorted(set(upstream_failed) - before.failed)
    row.expected_with_companion = [n for n in new if n in expected]
    if row.expected_with_companion:
        # Expected ones must be the companion's doing: they pass with the fix alone.
        with timed(row, "fix-only"):
            run([*cli, "apply", "--fix-only"], cwd=work)
            try:
                fix_only = run_pytest(
                    server, work / "fix-only.jsonl", row.expected_with_companion, ""
                )
            finally:
                run([*cli, "revert"], cwd=work)
        not_passing = sorted(set(row.expected_with_companion) - fix_only.passed)
        if not_passing:
            row.problems.append(
                f"expected with the companion, but fail with the fix alone too: {not_passing}"
            )
    unexpected = [n for n in new if n not in expected]
    if unexpected:
        row.problems.append(f"upstream tests that fail only with the patch: {unexpected}")
    shared = len(upstream_failed) - len(new)
    row.upstream_suite = f"{upstream_total - len(upstream_failed)}/{upstream_total} passed"
    notes = []
    if shared:
        notes.append(f"{shared} fail unpatched too")
    if row.expected_with_companion:
        notes.append(f"{len(row.expected_with_companion)} expected with the companion")
    if notes:
        row.upstream_suite += f" ({'; '.join(notes)})"
    if not upstream_total:
        row.problems.append("no upstream test ran")
