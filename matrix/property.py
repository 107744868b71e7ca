"""`python -m matrix property`: the resume property (property/) on a release's environment.

It holds the release's cached environment as the matrix does and hands it to property/run.py,
which patches it (unless --unpatched), runs Hypothesis and reverts. With --ci it runs the newest
release of every file revision, patched, under the property's `ci` settings profile
(property/conftest.py: 60 examples, derandomised), the one every run uses unless --fresh.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import hotfix

from .envs import held_env
from .paths import ROOT
from .series import numbered
from .shell import say


def ci_releases() -> list[str]:
    """The newest release of each file revision, that is, of each patch."""
    series = hotfix.read_series()
    newest = {series[release].patch: release for release in numbered(series)}
    return sorted(newest.values(), key=hotfix.version_key)


def property_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matrix property",
        description="RELEASE... [--ci] [--python PY], then property/run.py's options: "
        "--unpatched, --patch FILE, --examples N, --fresh [--seed N], --without P,Q, "
        "--known-defects",
    )
    parser.add_argument("releases", nargs="*", help="releases to check")
    parser.add_argument("--ci", action="store_true", help="one release per file revision")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the envs")
    args, options = parser.parse_known_args(argv)
    releases = args.releases or (ci_releases() if args.ci else [])
    if not releases:
        parser.error("name a release, or use --ci")
    failed = []
    for release in releases:
        with held_env(release, args.python) as (interpreter, _, _):
            command = [sys.executable, str(ROOT / "property" / "run.py")]
            done = subprocess.run([*command, "--python", str(interpreter), *options])
        if done.returncode == 2:  # run.py's usage error or refusal: the same for every release
            return 2
        if done.returncode != 0:
            failed.append(release)
    if len(releases) > 1:
        say(f"property: {len(releases) - len(failed)}/{len(releases)} releases passed")
    return 1 if failed else 0
