"""patches/manifest, the releases it does not list yet, and the rows it gets for them.

A release on the index that is missing from the manifest is checked with the patch made for its
file revision, known by the revision's git blob; its row then reads "not yet in the manifest",
and `python -m matrix manifest --update` writes it from the measurement. A release whose file is a
revision no patch fits fails, with what `git apply --3way` of the newest patch makes of it.
"""

from __future__ import annotations

import json
from pathlib import Path

from packaging.version import Version

from releases import (
    MANIFEST,
    MODULE,
    PATCHES,
    git_blob,
    manifest_fields,
    manifest_rows,
    newest_release,
    newest_release_per_patch,
    numbered,
    patches_by_blob,
    read_manifest,
    write_atomically,
)

from .index import index_versions
from .paths import BUILD
from .shell import MatrixError, say
from .trees import release_source, three_way

NOT_IN_MANIFEST = "not yet in the manifest"


def failing_without_patches(path: Path = MANIFEST) -> dict[str, frozenset[str]]:
    """The test groups each release fails without the patches, as the manifest records them."""
    return {version: frozenset(groups) - {"-"} for version, _, _, *groups in manifest_rows(path)}


def new_releases(*, prereleases: bool = False) -> list[str]:
    """Releases on the index, from the manifest's first on, that the manifest does not list."""
    manifest = read_manifest()
    first = Version(numbered(manifest)[0])
    return [
        v
        for v in index_versions(prereleases=prereleases)
        if Version(v) >= first and v not in manifest
    ]


def patch_for(release: str, tree: Path, work: Path, proposals: Path) -> tuple[str, str]:
    """The patch for a release missing from the manifest, and the release hotfix.py knows it by:
    the newest release in the manifest with that patch."""
    blob = git_blob((tree / "src" / MODULE).read_bytes())
    patch = patches_by_blob().get(blob)
    if patch is not None:
        return patch.name, newest_release_per_patch()[patch.name]
    newest = newest_release()
    base = release_source(newest, work, None)
    assert not isinstance(base, str)
    verdict = three_way(
        tree,
        PATCHES / read_manifest()[newest].fix_file,
        base.tree / "src" / MODULE,
        proposals / f"proposed-oai_conversation-{blob[:8]}.patch",
    )
    raise MatrixError(
        f"{release}'s oai_conversation.py is a new revision, blob {blob}, which no patch in "
        f"patches/ fits; {verdict}"
    )


def manifest_line(release: str, patch: str, unpatched: list[str]) -> str:
    """A manifest row; a release not yet in the manifest has no next-turn patches (`-`)."""
    return f"{release:<10} {patch:<32} {'-':<139} {' '.join(unpatched) or '-'}"


def update(*, write: bool, report_dir: Path = BUILD, manifest_path: Path = MANIFEST) -> int:
    """Write the report's "not yet in the manifest" rows that passed into patches/manifest."""
    report_path = report_dir / "matrix-report.json"
    if not report_path.exists():
        raise MatrixError(f"no {report_path}: run `nox -s matrix_full` first")
    rows = json.loads(report_path.read_text())["rows"]
    new = [r for r in rows if not r.get("in_manifest", True)]
    failed = [r["release"] for r in new if not r["ok"]]
    ready = {r["release"]: manifest_line(r["release"], r["fix_file"], r["unpatched"]) for r in new}
    for release in failed:
        ready.pop(release)
    if failed:
        say(f"not written, as their check failed: {' '.join(failed)}")
    if not ready:
        say("patches/manifest lists every release the last report measured")
        return 1 if failed else 0
    lines = manifest_path.read_text().splitlines()
    for release in sorted(ready, key=Version):
        say(ready[release])
        position = next(
            i
            for i, line in enumerate(lines)
            if (fields := manifest_fields(line))
            and (fields[0] == "main" or Version(fields[0]) > Version(release))
        )
        lines.insert(position, ready[release])
    if write:
        write_atomically(manifest_path, "\n".join(lines) + "\n")
        say(f"{manifest_path.name}: {len(ready)} rows written from {report_path}")
    else:
        say("(dry run: `nox -s manifest -- --update` writes these rows)")
    return 1 if failed else 0
