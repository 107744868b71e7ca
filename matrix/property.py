"""`python -m matrix property`: the resume property (property/) on a release's environment.

It holds the release's cached environment as the matrix does and hands it to property/run.py's
main(), in this process, which patches it (unless --unpatched), runs Hypothesis in the release's
environment and reverts. With --ci it runs the newest
release of every file revision, patched, under the property's `ci` settings profile
(property/conftest.py: 60 examples, derandomised), the one every run uses unless --fresh.
"""

from __future__ import annotations

import argparse
import sys

from property.run import main as run_property, parse
from releases import newest_release_per_patch

from .envs import held_env
from .shell import MatrixError, say


def ci_releases() -> list[str]:
    """The newest release of each file revision, that is, of each patch."""
    return list(newest_release_per_patch().values())


def check_options(options: list[str]) -> None:
    """Check property/run.py's options with its own parser, before any environment is held: a
    wrong one ends in its usage and exit status 2."""
    parse(["--python", sys.executable, *options], prog="python -m matrix property")


def property_command(args: argparse.Namespace) -> int:
    """args: releases, ci, python, and property/run.py's options as passed_on."""
    releases = args.releases or (ci_releases() if args.ci else [])
    if not releases:
        raise MatrixError("name a release, or use --ci")
    options = list(args.passed_on)
    check_options(options)
    failed = []
    for release in releases:
        with held_env(release, args.python) as (interpreter, _, _):
            code = run_property(["--python", str(interpreter), *options])
        if code == 2:  # run.py's usage error or refusal: the same for every release
            return 2
        if code != 0:
            failed.append(release)
    if len(releases) > 1:
        say(f"property: {len(releases) - len(failed)}/{len(releases)} releases passed")
    return 1 if failed else 0
