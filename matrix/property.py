"""`python -m matrix property`: the resume property (property/) on releases' environments.

    python3 -m matrix property 0.18.3
    python3 -m matrix property --ci                        # the releases CI runs
    python3 -m matrix property 0.24.0 --unpatched          # must find and shrink a failure
    python3 -m matrix property 0.24.0 --patch /tmp/weak.patch     # a variant of a patch
    python3 -m matrix property 0.24.0 -- --hypothesis-profile=fresh --hypothesis-seed=7 -x
    python3 -m matrix property 0.24.0 -- --hypothesis-profile=long --hypothesis-show-statistics
    python3 -m matrix property 0.18.3 --unpatched -- --property-without=missing

For each release it holds the release's cached environment as the matrix does, patches it with
hotfix.py's `apply()` (or, for --patch, with releases.py's hunks after checking the base blob;
nothing with --unpatched), runs pytest on property/test_resume_property.py in that environment
and reverts in a finally clause. Hypothesis is installed once into an overlay directory and put on
PYTHONPATH, so the environment is not changed. With --ci it runs the newest release of every file
revision. Everything after `--` goes to pytest unchanged: Hypothesis's profiles (property/
conftest.py), seed and statistics, and the property's own options. A release fails when its
pytest does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import hotfix
import releases

from .envs import held_env, overlay, site_packages
from .paths import ROOT
from .shell import MatrixError, say

HYPOTHESIS = "hypothesis==6.155.2"


def add_options(sub: argparse.ArgumentParser) -> None:
    """The subcommand's options, checked by argparse before any environment is held."""
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--unpatched", action="store_true", help="run on the release's own files")
    which.add_argument("--patch", type=Path, help="apply this patch instead of the manifest's")


def property_command(args: argparse.Namespace) -> int:
    """args: releases, ci, python, pytest_args, and the options of add_options()."""
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
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(overlay(HYPOTHESIS, str(interpreter), dependencies=True)), str(ROOT)]
        ),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    test = ROOT / "property" / "test_resume_property.py"
    original: bytes | None = None
    try:
        if args.patch is not None:
            original = apply_variant(module, args.patch)
            say(f"property: openai-agents {release}: applied {args.patch} (a variant)")
        elif not args.unpatched:
            say(f"property: {hotfix.apply(fix, site)}")
        else:
            say(f"property: openai-agents {release}: the release's own files, unpatched")
        command = [interpreter, "-m", "pytest", test, "-p", "no:cacheprovider", *args.pytest_args]
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
    finally:
        if original is not None:
            releases.write_atomically(module, original.decode(), releases.git_blob(original))
        elif hotfix.state_report(fix, site)["state"] != hotfix.UNPATCHED:
            hotfix.revert(fix, site)
        say(f"property: {hotfix.status(fix, site)}")
    return code


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
