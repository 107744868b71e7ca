"""ISSUE.md against a rerun: its repro is repro/next_turn.py, run on the newest release in an empty
folder it prints ISSUE.md's output block and exits 1, with the release's patches on (as `hotfix.py
apply` puts them) it exits 0, and the releases ISSUE.md says fail the documented next turn are
those patches/manifest records."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from releases import newest_release, read_manifest

from .envs import held_env
from .groups import NEXT_TURN_PREFIX
from .manifest import failing_without_patches
from .paths import HOTFIX, ROOT
from .shell import run, say

ISSUE = ROOT / "ISSUE.md"
REPRO = ROOT / "repro" / "next_turn.py"


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def issue_check(python: str) -> int:
    text = ISSUE.read_text()
    problems: list[str] = []
    if blocks(text, "python") != [REPRO.read_text()]:
        problems.append(f"ISSUE.md's python block is not {REPRO.relative_to(ROOT)}")
    newest = newest_release()
    with held_env(newest, python) as (interpreter, _, _), tempfile.TemporaryDirectory() as empty:
        done = run([interpreter, REPRO], cwd=Path(empty), check=False)
        hotfix = [interpreter, HOTFIX, "--version", newest]
        run([*hotfix, "apply"], cwd=Path(empty))
        try:
            fixed = run([interpreter, REPRO], cwd=Path(empty), check=False)
        finally:
            run([*hotfix, "revert"], cwd=Path(empty))
    if done.returncode != 1:
        problems.append(f"the repro exits {done.returncode} on {newest}, not 1")
    if fixed.returncode != 0:
        problems.append(f"the repro exits {fixed.returncode} on {newest} patched, not 0")
    if blocks(text, "text") != [done.stdout]:
        problems.append(
            f"ISSUE.md's output block differs from the repro's on {newest}:\n{done.stdout}"
        )
    failing = failing_without_patches()
    releases = [version for version in read_manifest() if version != "main"]
    next_turn = {group for group in failing[newest] if group.startswith(NEXT_TURN_PREFIX)}
    fail_all = [v for v in releases if next_turn and next_turn <= failing[v]]
    claim = f"on every release from {releases[0]} to {newest}"
    if fail_all != releases:
        problems.append(f"patches/manifest has releases that pass the next turn: {claim} is false")
    modes = sorted(group.removeprefix(NEXT_TURN_PREFIX) for group in next_turn)
    problems += [
        f"ISSUE.md does not name the mode `{mode}`" for mode in modes if f"`{mode}`" not in text
    ]
    if claim not in text or f"On {newest} it prints" not in text:
        problems.append(f"ISSUE.md should say {claim!r} and show the output of {newest}")
    for problem in problems:
        print(f"ISSUE.md: {problem}", file=sys.stderr)
    if not problems:
        say(
            f"ISSUE.md: the repro prints its output and exits 1 on {newest}, exits 0 with the "
            f"patches; {claim} matches the manifest"
        )
    return 1 if problems else 0
