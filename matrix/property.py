"""`python -m matrix property`: the resume property (property/) on releases' environments.

    python3 -m matrix property 0.18.3
    python3 -m matrix property --ci                       # what CI runs
    python3 -m matrix property 0.24.0 --unpatched          # must find and shrink a failure
    python3 -m matrix property 0.24.0 --examples 2000 --fresh   # a long, fresh exploration
    python3 -m matrix property 0.24.0 --patch /tmp/weak.patch    # a variant of a patch
    python3 -m matrix property 0.24.0 --without missing     # leave a producer out
    python3 -m matrix property 0.24.0 --known-defects       # no upstream-defect workarounds

For each release it holds the release's cached environment as the matrix does, patches it with
hotfix.py's `apply()` (or, for --patch, with releases.py's hunks after checking the base blob;
nothing with --unpatched), runs pytest on property/test_resume_property.py in that environment
and reverts in a finally clause. Hypothesis is installed once into an overlay directory and put on
PYTHONPATH, so the environment is not changed. With --ci it runs the newest release of every file
revision, patched. The settings profile is `ci` (property/conftest.py: 60 examples,
derandomised), or `fresh` with --fresh; the flags map to the options property/conftest.py adds:

    --examples N        --property-examples N (default: the profile's, 60)
    --fresh             --hypothesis-profile=fresh --property-db <cache>/property-db
    --seed N            --hypothesis-seed=N
    --without P,Q       --property-without P,Q
    --known-defects     --property-known-defects
    (always)            --hypothesis-show-statistics --property-report build/property-<release>.md

A fresh run draws a random seed: failures go into the example database and are replayed first
next time, and Hypothesis prints the @reproduce_failure blob of each. --seed N repeats a run;
with a seed Hypothesis leaves the database alone. A release fails when its pytest does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import hotfix
import releases

from .envs import held_env, overlay, site_packages
from .paths import PROPERTY_DB, ROOT, property_report
from .shell import MatrixError, say

HYPOTHESIS = "hypothesis==6.155.2"


def add_options(sub: argparse.ArgumentParser) -> None:
    """The subcommand's options, checked by argparse before any environment is held."""
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--unpatched", action="store_true", help="run on the release's own files")
    which.add_argument("--patch", type=Path, help="apply this patch instead of the manifest's")
    sub.add_argument("--examples", type=int, help="scenarios to try (default 60)")
    sub.add_argument("--fresh", action="store_true", help="random seed, saved failures")
    sub.add_argument("--seed", type=int, help="with --fresh: repeat the run of this seed")
    sub.add_argument("--without", default="", metavar="P,Q", help="producers to leave out")
    sub.add_argument(
        "--known-defects", action="store_true", help="also draw what known_defects.py leaves out"
    )


def property_command(args: argparse.Namespace) -> int:
    """args: releases, ci, python, and the options of add_options()."""
    if args.examples is not None and args.examples < 1:
        raise MatrixError("--examples must be at least 1")
    if args.seed is not None and not args.fresh:
        raise MatrixError("--seed needs --fresh (the default run is derandomised)")
    if args.patch is not None and not args.patch.is_file():
        raise MatrixError(f"--patch {args.patch}: no such file")
    chosen = args.releases or (releases.newest_of_each_revision() if args.ci else [])
    if not chosen:
        raise MatrixError("name a release, or use --ci")
    for release in chosen:
        releases.release_for(release)  # an unknown release is refused before anything runs
    failed = []
    for release in chosen:
        with held_env(release, args.python) as (interpreter, _, _):
            if run_property(release, interpreter, args) != 0:
                failed.append(release)
    if len(chosen) > 1:
        say(f"property: {len(chosen) - len(failed)}/{len(chosen)} releases passed")
    return 1 if failed else 0


def run_property(release: str, interpreter: Path, args: argparse.Namespace) -> int:
    """Patch the environment as asked, run the property in it, revert; pytest's exit code."""
    site = site_packages(interpreter)
    module = site / releases.MODULE
    fix = hotfix.read_fix(releases.release_for(release))
    report = property_report(release)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(overlay(HYPOTHESIS, str(interpreter), dependencies=True)), str(ROOT)]
        ),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if args.seed is not None:
        say(f"property: fresh exploration repeated with seed {args.seed}, no example database")
    elif args.fresh:
        say(f"property: fresh exploration; failures saved in {PROPERTY_DB}")
    original: bytes | None = None
    report.unlink(missing_ok=True)
    try:
        if args.patch is not None:
            original = apply_variant(module, args.patch)
            say(f"property: openai-agents {release}: applied {args.patch} (a variant)")
        elif not args.unpatched:
            say(f"property: {hotfix.apply(fix, site)}")
        else:
            say(f"property: openai-agents {release}: the release's own files, unpatched")
        code = subprocess.run(pytest_command(interpreter, args, report), cwd=ROOT, env=env)
    finally:
        if original is not None:
            releases.write_atomically(module, original.decode(), releases.git_blob(original))
        elif hotfix.state_report(fix, site)["state"] != hotfix.UNPATCHED:
            hotfix.revert(fix, site)
        say(f"property: {hotfix.status(fix, site)}")
    if code.returncode != 0 and report.is_file():
        say(f"\n{report.read_text()}")
    return code.returncode


def apply_variant(module: Path, patch_file: Path) -> bytes:
    """Apply a patch that is not in patches/manifest; return the release's own bytes."""
    patch = releases.read_patch(patch_file)
    original = module.read_bytes()
    if releases.git_blob(original) != patch.base_blob:
        raise MatrixError(
            f"{patch_file} does not fit {module} (base blob differs); nothing changed"
        )
    text = releases.apply_hunks(original.decode(), patch)
    releases.write_atomically(module, text, releases.git_blob(text.encode()))
    return original


def pytest_command(interpreter: Path, args: argparse.Namespace, report: Path) -> list[str]:
    """pytest on the property, with the options property/conftest.py adds."""
    command = [str(interpreter), "-m", "pytest", str(ROOT / "property" / "test_resume_property.py")]
    command += ["--rootdir", str(ROOT), "-p", "no:cacheprovider", "-q", "--tb=line"]
    command += ["--hypothesis-show-statistics", f"--property-report={report}"]
    command.append(f"--hypothesis-profile={'fresh' if args.fresh else 'ci'}")
    if args.fresh:
        command.append(f"--property-db={PROPERTY_DB}")
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    if args.examples is not None:
        command.append(f"--property-examples={args.examples}")
    if args.without:
        command.append(f"--property-without={args.without}")
    if args.known_defects:
        command.append("--property-known-defects")
    return command
