"""Each patch's DEP-3 Applies-To line, written from patches/manifest and checked against it.

The line names the releases whose file the patch is for, the file and its git blob; a companion's
line adds the fix it goes on top of. It sits in the commit message, before `---`,
so `git am` keeps it there. Rewriting it changes no other byte of the patch.
"""

from __future__ import annotations

from releases import PATCHES, numbered, read_manifest, read_patch, write_atomically

from .shell import MatrixError, say

FIELD = "Applies-To:"


def span(versions: list[str], order: list[str]) -> str:
    """The releases as ranges of consecutive ones in `order`, then upstream main if listed."""
    runs: list[list[str]] = []
    for version in (v for v in order if v in versions):
        if runs and order.index(runs[-1][-1]) + 1 == order.index(version):
            runs[-1].append(version)
        else:
            runs.append([version])
    parts = [run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs]
    return " and ".join([*parts, *(["upstream main"] if "main" in versions else [])])


def expected_lines() -> dict[str, str]:
    """The Applies-To line of every patch the manifest names, by patch file name."""
    manifest = read_manifest()
    order = numbered(manifest)
    users: dict[str, list[str]] = {}
    # A companion goes on top of its fix: its line names the fix's file and blob.
    fix_of: dict[str, str] = {}
    for row in manifest.values():
        for name in row.patch_files:
            users.setdefault(name, []).append(row.version)
        if row.companion_file is not None:
            fix_of[row.companion_file] = row.fix_file
    lines = {}
    for name, versions in users.items():
        fix = read_patch(PATCHES / fix_of.get(name, name))
        line = f"{FIELD} openai-agents {span(versions, order)}, src/{fix.module} at blob "
        on_top = f" with {fix.path.name} applied" if name in fix_of else ""
        lines[name] = line + fix.base_blob[:8] + on_top
    return lines


def with_line(text: str, line: str, name: str) -> str:
    """The patch with its message's Applies-To field (and any folded lines of it) replaced."""
    message, separator, diff = text.partition("\n---\n")
    if not separator:
        raise MatrixError(f"{name}: no `---` ends its commit message")
    lines = message.split("\n")
    found = [i for i, existing in enumerate(lines) if existing.startswith(FIELD)]
    if len(found) != 1:
        raise MatrixError(f"{name}: {len(found)} {FIELD} lines in its commit message, not one")
    end = found[0] + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    lines[found[0] : end] = [line]
    return "\n".join(lines) + separator + diff


def applies_to(*, check: bool) -> int:
    """Write each patch's Applies-To line; with check, write nothing and fail on any that differ."""
    differing = []
    for name, line in expected_lines().items():
        path = PATCHES / name
        text = path.read_text()
        updated = with_line(text, line, name)
        if updated == text:
            continue
        differing.append(name)
        if check:
            say(f"patches/{name}: its Applies-To line differs from patches/manifest; expected:")
            say(f"  {line}")
        else:
            write_atomically(path, updated)
            say(f"patches/{name}: {line}")
    if check and differing:
        say("run `nox -s applies_to` and commit the result.")
        return 1
    if not differing:
        say("every patch's Applies-To line matches patches/manifest")
    return 0
