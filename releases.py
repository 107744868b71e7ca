"""The releases the fix covers and its patches: the manifest, patch files, blobs and whole writes.

`patches/manifest` lists every openai-agents release from 0.13.0 on (and upstream main) with the
patch for its oai_conversation.py and the next-turn patches of the next-turn fix, if the release has
them. The companion patch that goes on top of the fix follows from the fix's name: the file
revisions that record sent items by id() (upstream #3621) have one, named after the fix. A patch
is a single-file `git format-patch --full-index` diff: its `index` line names the git blob of the
file it fits and of the file it makes, and its `diff --git` line the file. hotfix.py, the matrix
and the nox sessions read both through this module, which needs only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PATCHES = Path(__file__).resolve().parent / "patches"
MANIFEST = PATCHES / "manifest"
# The file the fix and its companion change, relative to the installed `agents` package's parent
# (site-packages) or to an upstream tree's src/. A next-turn patch names its own file.
MODULE = "agents/run_internal/oai_conversation.py"
COMPANION_SUFFIX = "-object-identity.patch"
DIFF_FILE = re.compile(r"^diff --git a/src/(\S+) b/src/\S+$", re.MULTILINE)
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(Exception):
    """A refusal: the manifest, a patch or a file does not fit; the message says why, and nothing
    was changed."""


@dataclass(frozen=True)
class Release:
    version: str
    # The fix's patch file, for the release's oai_conversation.py.
    fix_file: str
    # The next-turn fix's patch files, one per file; empty where the release has none.
    next_turn_files: tuple[str, ...] = ()

    @property
    def companion_file(self) -> str | None:
        """The companion patch file of the fix's file revision, if it has one."""
        name = self.fix_file.removesuffix(".patch") + COMPANION_SUFFIX
        return name if (PATCHES / name).is_file() else None

    @property
    def patch_files(self) -> tuple[str, ...]:
        """Every patch file of the release, in the order they go on: fix, companion, next turn."""
        companion = [self.companion_file] if self.companion_file else []
        return (self.fix_file, *companion, *self.next_turn_files)


@dataclass(frozen=True)
class Patch:
    path: Path
    # The file it changes, relative to site-packages or to an upstream tree's src/.
    module: str
    base_blob: str
    fixed_blob: str
    hunks: tuple[tuple[int, int, tuple[str, ...]], ...]


def manifest_fields(line: str) -> list[str]:
    """A manifest line's fields without its comment; none for a comment or a blank line."""
    return line.split("#", 1)[0].split()


def manifest_rows(path: Path = MANIFEST) -> list[list[str]]:
    """The manifest's rows, checked: release, patch file, next-turn patch files joined by commas or
    `-`, and the test groups failing without the patches (which only the matrix reads)."""
    rows = []
    for line in path.read_text().splitlines():
        fields = manifest_fields(line)
        if not fields:
            continue
        if len(fields) < 3 or not fields[1].endswith(".patch"):
            raise PatchError(f"{path}: malformed line: {line!r}")
        if fields[2] != "-" and not all(p.endswith(".patch") for p in fields[2].split(",")):
            raise PatchError(f"{path}: no runner column (patches joined by , or -) in {line!r}")
        rows.append(fields)
    return rows


def read_manifest(path: Path = MANIFEST) -> dict[str, Release]:
    """Every release of the manifest, in its order, with its patch and next-turn patches."""
    return {
        version: Release(version, patch, () if runner == "-" else tuple(runner.split(",")))
        for version, patch, runner, *_ in manifest_rows(path)
    }


# A public version in any spelling PEP 440 normalises (`v1.0-RC.1` is 1.0rc1), without a local
# label: PEP 440's own pattern, as this module may import only the standard library.
PUBLIC_VERSION = re.compile(
    r"v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d*))?"
    r"(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?",
    re.IGNORECASE,
)
PRE_RANK = {"a": 1, "alpha": 1, "b": 2, "beta": 2, "c": 3, "rc": 3, "pre": 3, "preview": 3}


def version_key(version: str) -> tuple:
    """Orders public versions as PEP 440 (and packaging) do: epoch, release without trailing
    zeros, then a dev release before a pre-release before the release before a post-release."""
    match = PUBLIC_VERSION.fullmatch(version.strip())
    if match is None:
        raise PatchError(f"{version!r} is not a PEP 440 public version (such as 0.25.0rc1)")
    epoch, release, pre, pre_n, post_dash, post_n, dev, dev_n = match.groups()
    post = post_dash or post_n
    # A dev release with neither a pre- nor a post-release part (1.0.dev1) comes before 1.0a0.
    pre_key = (
        (PRE_RANK[pre.lower()], int(pre_n or 0)) if pre else (0 if dev and post is None else 4,)
    )
    release_key = tuple(map(int, re.sub(r"(\.0+)+$", "", release).split(".")))
    post_key = -1 if post is None else int(post or 0)
    dev_key = (0, int(dev_n or 0)) if dev else (1,)
    return int(epoch or 0), release_key, pre_key, post_key, dev_key


def numbered(versions: Iterable[str]) -> list[str]:
    """The versions other than main, oldest first."""
    return sorted((v for v in versions if v != "main"), key=version_key)


def newest_release(releases: dict[str, Release] | None = None) -> str:
    """The newest numbered release of the manifest."""
    return numbered(read_manifest() if releases is None else releases)[-1]


def newest_release_per_patch(releases: dict[str, Release] | None = None) -> dict[str, str]:
    """Each patch's newest numbered release, by patch file name, oldest patch first."""
    releases = read_manifest() if releases is None else releases
    return {releases[v].fix_file: v for v in numbered(releases)}


def newest_of_each_revision(releases: dict[str, Release] | None = None) -> list[str]:
    """The newest numbered release of each file revision (of each fix), oldest first."""
    return list(newest_release_per_patch(releases).values())


def release_for(version: str, releases: dict[str, Release] | None = None) -> Release:
    """The manifest's row for a release; refused, with the supported range, if it has none."""
    releases = read_manifest() if releases is None else releases
    if version not in releases:
        versions = numbered(releases)
        raise PatchError(
            f"openai-agents {version} is not in patches/manifest; "
            f"supported releases: {versions[0]} to {versions[-1]} and main"
        )
    return releases[version]


def git_blob(data: bytes) -> str:
    """The id git gives a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_patch(path: Path) -> Patch:
    """Read a single-file unified diff made with `git format-patch --full-index`."""
    text = path.read_text()
    index = re.search(r"^index ([0-9a-f]{40})\.\.([0-9a-f]{40})", text, re.MULTILINE)
    if index is None:
        raise PatchError(f"{path.name}: no full 'index' line; cannot tell which file it fits")
    files = DIFF_FILE.findall(text)
    if len(files) != 1:
        raise PatchError(f"{path.name}: changes {len(files)} files under src/, not one")
    hunks: list[tuple[int, int, list[str]]] = []
    for line in text[text.index("\n@@ ") + 1 :].splitlines(keepends=True):
        match = HUNK.match(line)
        if match:
            hunks.append((int(match.group(1)), int(match.group(3)), []))
        elif line[:1] in {" ", "-", "+"}:
            hunks[-1][2].append(line)
        else:
            break
    return Patch(
        path, files[0], index.group(1), index.group(2), tuple((a, b, tuple(h)) for a, b, h in hunks)
    )


def patches_by_blob() -> dict[str, Path]:
    """The fix for each revision of the file, by the git blob of the revision it fits."""
    patches = sorted(PATCHES.glob("oai_conversation-*.patch"))
    return {
        patch.base_blob: patch.path
        for patch in map(read_patch, patches)
        if not patch.path.name.endswith(COMPANION_SUFFIX)
    }


def apply_hunks(source: str, patch: Patch, *, reverse: bool = False) -> str:
    """Apply (or undo) the patch's hunks exactly; the caller has checked the base blob."""
    old_mark, new_mark = ("+", "-") if reverse else ("-", "+")
    lines = source.splitlines(keepends=True)
    result: list[str] = []
    position = 0
    for old_start, new_start, hunk in patch.hunks:
        start = (new_start if reverse else old_start) - 1
        result.extend(lines[position:start])
        position = start
        for line in hunk:
            mark, content = line[0], line[1:]
            if mark in {" ", old_mark}:
                if position >= len(lines) or lines[position] != content:
                    raise PatchError(f"{patch.path.name}: hunk at line {start + 1} does not fit")
                position += 1
            if mark in {" ", new_mark}:
                result.append(content)
    result.extend(lines[position:])
    return "".join(result)


def write_atomically(path: Path, data: str | bytes, expected_blob: str | None = None) -> None:
    """Write a file whole, under a temporary name renamed over it, so no reader ever sees it half
    written. Given a git blob, write nothing unless the data has that blob. A file replaced keeps
    its permissions; a new one is readable by all."""
    data = data.encode() if isinstance(data, str) else data
    if expected_blob is not None and git_blob(data) != expected_blob:
        raise PatchError(f"{path.name}: result does not match the patch's target; nothing changed")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
