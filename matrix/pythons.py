"""`python -m matrix pythons`: releases checked on every CPython from 3.10 up, a column each.

The releases are the #2798 ones (0.13.0 - 0.13.2) and the newest of every other file revision.
Each interpreter gets a matrix run of its own (environments are cached per Python version) and
a report in build/pythons/py3.X/; build/pythons-report.md has a column per interpreter. A Python
this machine lacks is listed as not run, with the reason, and does not fail the run; nor does a
release whose Requires-Python excludes the interpreter, which is skipped with the reason.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import shutil
import sys
import zipfile

from packaging.specifiers import SpecifierSet

from releases import newest_of_each_revision, numbered, write_atomically

from .check import run_matrix
from .index import download
from .paths import BUILD
from .shell import run, say

PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
STALE_INPUT_IDS = ("0.13.0", "0.13.1", "0.13.2")


def find_python(version: str) -> tuple[str | None, str]:
    """CPython X.Y as uv finds it outside virtual environments, or None and uv's reason."""
    env = dict(os.environ)
    pyenv = shutil.which("pyenv")
    if pyenv:
        # pyenv's shims (uv's too, if pip put it there) answer for the versions pyenv has enabled:
        # uv sees X.Y's installs only if they are added to those.
        installed = run([pyenv, "versions", "--bare"], check=False).stdout.split()
        enabled = [run([pyenv, "version-name"], check=False).stdout.strip()]
        enabled += [name for name in installed if name.startswith(f"{version}.")]
        env["PYENV_VERSION"] = ":".join(enabled)
    found = run(["uv", "python", "find", "--system", f"cpython@{version}"], env=env, check=False)
    if found.returncode == 0:
        return found.stdout.strip(), ""
    return None, (found.stderr.strip().splitlines() or ["uv found none"])[0].removeprefix("error: ")


def requires_python(release: str) -> str:
    with zipfile.ZipFile(download(f"openai_agents-{release}-py3-none-any.whl")) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name)).get("Requires-Python", "").strip()


def supports(specifier: str, version: str) -> bool:
    """Whether Python X.Y meets a Requires-Python specifier (PEP 440), any valid one."""
    return SpecifierSet(specifier).contains(version, prereleases=True)


def pythons_command(args: argparse.Namespace) -> int:
    """args: releases (default: see the module's docstring), pythons (X.Y,X.Y,...), jobs, and
    others: leave out the interpreter this command runs on, which the matrix itself runs on."""
    releases = args.releases or numbered({*STALE_INPUT_IDS, *newest_of_each_revision()})
    columns: dict[str, dict[str, str]] = {}
    failed = False
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for version in args.pythons.split(","):
        if args.others and version == own:
            columns[version] = dict.fromkeys(releases, "not run here: left to the matrix's run")
            say(f"CPython {version}: not run here (--others): the matrix checks it")
            continue
        python, reason = find_python(version)
        if python is None:
            columns[version] = dict.fromkeys(releases, f"not run: {reason}")
            say(f"CPython {version}: not run: {reason}")
            continue
        skipped = {r: s for r in releases if not supports(s := requires_python(r), version)}
        runnable = [r for r in releases if r not in skipped]
        cells = {r: f"skipped: Requires-Python {s}" for r, s in skipped.items()}
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
