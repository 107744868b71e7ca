"""`python -m matrix pythons`: releases checked on every CPython from 3.10 up, a column each.

The releases are the #2798 ones (0.13.0 - 0.13.2) and the newest of every other file revision.
Each interpreter gets a matrix run of its own (environments are cached per Python version) and
a report in build/pythons/py3.X/; build/pythons-report.md has a column per interpreter. A Python
this machine lacks is listed as not run, with the reason, and does not fail the run; nor does a
release whose Requires-Python excludes the interpreter, which is skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

from packaging.specifiers import SpecifierSet

from releases import newest_of_each_revision, numbered, write_atomically

from .check import run_matrix
from .envs import python_version
from .index import download
from .paths import BUILD
from .shell import MatrixError, say

PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
STALE_INPUT_IDS = ("0.13.0", "0.13.1", "0.13.2")


def find_python(version: str) -> str | None:
    """An interpreter of this version that runs: on PATH, or installed by pyenv but not enabled
    (its shim then exists and fails)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(map(str, pyenv.glob(f"versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        try:
            if python_version(candidate) == version:
                return candidate
        except MatrixError:
            continue
    return None


def requires_python(release: str) -> str:
    wheel = download(f"openai_agents-{release}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    match = re.search(r"^Requires-Python: *(.+)$", metadata, re.MULTILINE)
    return match.group(1).strip() if match else ""


def supports(specifier: str, version: str) -> bool:
    """Whether Python X.Y meets a Requires-Python specifier (PEP 440), any valid one."""
    return SpecifierSet(specifier).contains(version, prereleases=True)


def pythons_command(args: argparse.Namespace) -> int:
    """args: releases (default: see the module's docstring), pythons (X.Y,X.Y,...), jobs."""
    releases = args.releases or numbered({*STALE_INPUT_IDS, *newest_of_each_revision()})
    columns: dict[str, dict[str, str]] = {}
    failed = False
    for version in args.pythons.split(","):
        python = find_python(version)
        if python is None:
            columns[version] = dict.fromkeys(releases, f"not run: no CPython {version} here")
            say(f"CPython {version}: not on this machine; not run")
            continue
        cells: dict[str, str] = {}
        runnable = []
        for release in releases:
            specifier = requires_python(release)
            if supports(specifier, version):
                runnable.append(release)
            else:
                cells[release] = f"skipped: Requires-Python {specifier}"
        where = BUILD / "pythons" / f"py{version}"
        failed |= bool(
            run_matrix(
                runnable, jobs=args.jobs, python=python, upstream=None, keep=False, report_dir=where
            )  # fmt: skip
        )
        for row in json.loads((where / "matrix-report.json").read_text())["rows"]:
            verdict = "ok" if row["ok"] else "FAILED: " + "; ".join(row["problems"])
            unpatched = ", ".join(row["unpatched"]) or "nothing"
            cells[row["release"]] = f"{verdict} (unpatched fails {unpatched})"
        columns[version] = cells
    lines = ["| release | " + " | ".join(f"CPython {v}" for v in columns) + " |"]
    lines.append("|---|" + "---|" * len(columns))
    for release in releases:
        lines.append(f"| {release} | " + " | ".join(c[release] for c in columns.values()) + " |")
    table = "\n".join(lines) + "\n"
    write_atomically(BUILD / "pythons-report.md", "# Releases by interpreter\n\n" + table)
    say("\n" + table)
    return 1 if failed else 0
