"""The command line: `python -m matrix [releases] [--full]`, and the generators and gates."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import hotfix

from . import __doc__ as description
from .documents import evidence_table, tests_patch
from .gates import gates
from .paths import BUILD, CACHE
from .property import property_command
from .pythons import pythons_command
from .random_order import random_order
from .runner import run_matrix, select_releases
from .series import numbered, update
from .shell import MatrixError
from .upstream_series import upstream_series


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def matrix(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=description)
    parser.add_argument("releases", nargs="*", help="releases to check (default: quick set)")
    parser.add_argument("--full", action="store_true", help="every release in patches/series")
    parser.add_argument("--upstream", type=Path, help="local upstream checkout to use as main")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the envs")
    # Three jobs per core: much of a release's time is spent waiting (loopback HTTP, upstream's
    # retry back-offs, subprocesses). Warm full range on 2 cores: 306 s with 2 jobs, 250 s with 3,
    # 222 s with 4, 199 s with 6; its CPU time, about 380 s, puts the floor near 190 s.
    parser.add_argument("--jobs", type=positive, default=3 * (os.cpu_count() or 1))
    parser.add_argument("--keep", action="store_true", help="keep each release's work dir")
    parser.add_argument(
        "--report-dir", type=Path, default=BUILD, help="where the report goes (default: build)"
    )
    args = parser.parse_args(argv)
    if args.upstream is not None and not (args.upstream / "src" / hotfix.MODULE).is_file():
        raise MatrixError(f"{args.upstream} is not an upstream checkout (no src/{hotfix.MODULE})")
    releases = select_releases(args.releases, full=args.full)
    return run_matrix(
        releases,
        jobs=args.jobs,
        python=args.python,
        upstream=args.upstream,
        keep=args.keep,
        report=args.report_dir,
    )


def flag(argv: list[str], name: str, help: str) -> bool:
    """The one flag a generator takes; anything else ends in usage, before anything is written."""
    parser = argparse.ArgumentParser(prog=f"python -m matrix {argv[0]}")
    parser.add_argument(name, action="store_true", help=help)
    return bool(getattr(parser.parse_args(argv[1:]), name.removeprefix("--")))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        if argv[:1] == ["tests-patch"]:
            return tests_patch(check=flag(argv, "--check", "compare, do not write"))
        if argv[:1] == ["evidence-table"]:
            return evidence_table(check=flag(argv, "--check", "compare, do not write"))
        if argv[:1] == ["series"]:
            return update(write=flag(argv, "--update", "write the rows to patches/series"))
        if argv[:1] == ["property"]:
            return property_command(argv[1:])
        if argv[:1] == ["pythons"]:
            return pythons_command(argv[1:])
        if argv[:1] == ["random-order"]:
            return random_order(argv[1:])
        if argv[:1] == ["upstream-series"]:
            return upstream_series(argv[1:])
        if argv[:1] == ["gates"]:
            newest = numbered(hotfix.read_series())[-1]
            return gates(argv[1:] or ["0.13.3", newest], sys.executable)
        return matrix(argv)
    except (MatrixError, hotfix.HotfixError) as error:
        print(f"matrix: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
