"""The matrix's one command line: `python -m matrix check [releases] [--full]`, and a subcommand
for each generator, gate and axis.

Every argument is checked before anything runs: an unknown subcommand, flag or release name, or
a count below 1, ends in argparse's usage and exit status 2, with nothing written. The arguments
after `--` are pytest's (`property` alone takes them), and pytest checks them.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from releases import MODULE, PatchError, version_key

from . import __doc__ as description
from .paths import BUILD, CACHE, ROOT
from .shell import MatrixError

try:
    from .applies_to import applies_to
    from .check import run_matrix, select_releases
    from .documents import evidence_table
    from .issue import issue_check
    from .manifest import update
    from .property import add_options as add_property_options, property_command
    from .pythons import PYTHONS, pythons_command
    from .random_order import random_order
    from .upstream import SERIES, upstream
    from .wheels import wheel_check
except ModuleNotFoundError as missing:
    # Run outside nox, the matrix may lack what it imports besides the standard library: say in
    # one line how to install pyproject.toml's `matrix` group, and stop as a usage error does.
    pyproject = (ROOT / "pyproject.toml").read_text()
    group = re.findall(r'"(.+?)"', re.search(r"^matrix = \[(.*?)\]", pyproject, re.M | re.S)[1])
    if missing.name not in {re.split("[<>=!~;[ ]", r)[0].replace("-", "_") for r in group}:
        raise
    install = shlex.join([sys.executable, "-m", "pip", "install", *group])
    print(f"matrix: {missing}; install what it needs: {install}", file=sys.stderr)
    sys.exit(2)

# Three jobs per core: a release also waits (on git, uv and hotfix.py, and on its pytest server's
# start), and the extra jobs fill those gaps. Warm full range on 2 cores with 6 jobs: 538 s wall
# for 1,034 s of CPU (README, Speed), so both cores stay busy nearly throughout.
JOBS = 3 * (os.cpu_count() or 1)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def patch_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return Path(text).resolve()


def release_name(text: str) -> str:
    """A release as releases.py orders it (PEP 440, without a local label), or main."""
    try:
        if text != "main":
            version_key(text)
    except PatchError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a release such as 0.24.0 nor main"
        ) from None
    return text


def run_check(args: argparse.Namespace) -> int:
    if args.upstream is not None and not (args.upstream / "src" / MODULE).is_file():
        raise MatrixError(f"{args.upstream} is not an upstream checkout (no src/{MODULE})")
    return run_matrix(
        select_releases(
            args.releases,
            full=args.full,
            transitions_only=args.transitions,
            prereleases=args.pre,
        ),
        jobs=args.jobs,
        python=args.python,
        upstream=args.upstream,
        keep=args.keep,
        report_dir=args.report_dir,
    )


def parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The command line, and its subcommands' parsers by name."""
    top = argparse.ArgumentParser(
        prog="python -m matrix",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary, allow_abbrev=False)
        sub.set_defaults(run=run)
        return sub

    def interpreter(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--python", default=sys.executable, help="interpreter for the envs")

    def release_args(sub: argparse.ArgumentParser, summary: str, nargs: str = "*") -> None:
        sub.add_argument("releases", nargs=nargs, type=release_name, help=summary)

    sub = command("check", run_check, "the matrix: releases unpatched and patched, with a report")
    release_args(sub, "default: one per file revision")
    selection = sub.add_mutually_exclusive_group()
    selection.add_argument("--full", action="store_true", help="every release in patches/manifest")
    selection.add_argument(
        "--transitions",
        action="store_true",
        help="the range's ends and each release where the patch, the companion, the runner "
        "patches or the failing groups change, with the release before it",
    )
    sub.add_argument(
        "--pre", action="store_true", help="also pre- and dev releases on the index (as pip --pre)"
    )
    sub.add_argument("--upstream", type=Path, help="local upstream checkout to use as main")
    interpreter(sub)
    sub.add_argument("--jobs", type=positive, default=JOBS)
    sub.add_argument("--keep", action="store_true", help="keep each release's work dir")
    sub.add_argument("--report-dir", type=Path, default=BUILD, help="default: build")

    compare = "compare, write nothing; exit 1 if it differs"
    # The generated documents: each is written, or with --check compared.
    for name, write, summary in (
        ("evidence-table", evidence_table, "docs/evidence.md's release table, from the manifest"),
        ("applies-to", applies_to, "each patch's DEP-3 Applies-To line, from patches/manifest"),
    ):
        sub = command(name, lambda a, write=write: write(check=a.check), summary)
        sub.add_argument("--check", action="store_true", help=compare)
    sub = command(
        "manifest",
        lambda a: update(write=a.update),
        "rows for releases not yet in patches/manifest, from build/matrix-report.json",
    )
    sub.add_argument("--update", action="store_true", help="write them to patches/manifest")

    sub = command(
        "issue",
        lambda a: issue_check(a.python),
        "ISSUE.md's repro, its output and its releases against a rerun on the newest release",
    )
    interpreter(sub)
    sub = command(
        "upstream",
        lambda a: upstream(a.python, a.series, full=a.full),
        "the upstream series on the newest sdist, its tests, and upstream's Makefile checks on it "
        "and on 0.13.3 and the newest release as hotfix.py patches them",
    )
    sub.add_argument(
        "--full", action="store_true", help="the Makefile's targets on the series' whole tree"
    )
    sub.add_argument(
        "--series",
        nargs="+",
        type=patch_file,
        default=SERIES,
        metavar="PATCH",
        help="the patches to git am instead of patches/upstream/*.patch",
    )
    interpreter(sub)

    sub = command("pythons", pythons_command, "releases on every CPython 3.10+ here, a column each")
    release_args(sub, "default: #2798's and one per file revision")
    sub.add_argument("--pythons", default=",".join(PYTHONS), help="X.Y,X.Y,...")
    sub.add_argument(
        "--others",
        action="store_true",
        help="leave out the Python this runs on, which `check` uses (CI: matrix_transitions)",
    )
    sub.add_argument("--jobs", type=positive, default=JOBS)
    sub = command(
        "property",
        property_command,
        "the resume property on releases' environments; arguments after -- go to pytest",
    )
    release_args(sub, "releases to check")
    sub.add_argument("--ci", action="store_true", help="the newest release of each file revision")
    add_property_options(sub)
    interpreter(sub)
    sub = command(
        "wheel-check",
        lambda a: wheel_check(a.releases, a.python, a.builder),
        "build each release's patched wheel twice (same sha256), install it with the release's "
        "pins, check status, verify, pip check and --find-links (default: newest per revision)",
    )
    release_args(sub, "releases to check")
    interpreter(sub)
    sub.add_argument(
        "--builder", default=sys.executable, help="a Python with pip and wheel, for hotfix.py wheel"
    )
    sub = command("random-order", random_order, "our tests, patched, in random order, N seeds")
    release_args(sub, "releases to check", nargs="+")
    sub.add_argument("--runs", type=positive, default=50, help="pytest runs per release (50)")
    interpreter(sub)
    return top, commands.choices


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # What follows `--` is not the matrix's: `property` hands it to pytest unchanged.
    cut = argv.index("--") if "--" in argv else len(argv)
    top, commands = parser()
    args, unknown = top.parse_known_args(argv[:cut])
    if unknown:
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "property":
        args.pytest_args = argv[cut + 1 :]
    elif cut < len(argv):
        commands[args.command].error("only `property` takes arguments after --, for pytest")
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        return args.run(args)
    except (MatrixError, PatchError) as error:
        print(f"matrix: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
