"""Release trees: sdists unpacked, upstream main, our tests dropped in, and the git checks."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from releases import MODULE, read_patch

from .index import download, upload_time
from .paths import CACHE, RELEASE_TESTS, TESTKIT
from .shell import MatrixError, run

UPSTREAM_GIT = "https://github.com/openai/openai-agents-python"
SDIST_PARTS = ("src/agents/", "tests/", "pyproject.toml", "uv.lock")
IDENTITY = ["-c", "user.name=matrix", "-c", "user.email=matrix@localhost"]


@dataclass
class Source:
    """Where a release comes from: its installable package, its upstream tree and its sdist."""

    package: Path
    tree: Path
    sdist: Path | None

    def cutoff(self) -> str | None:
        """The sdist's upload time, which the index is asked for only when pins are resolved."""
        return upload_time(self.sdist.name) if self.sdist else None


def release_source(release: str, work: Path, upstream: Path | None) -> Source | str:
    """Fetch and unpack a release; for main, use a checkout. A str return is a skip reason."""
    if release == "main":
        if upstream is None:
            upstream = CACHE / "upstream-main"
            shutil.rmtree(upstream, ignore_errors=True)
            clone = run(
                ["git", "clone", "--quiet", "--depth", "1", UPSTREAM_GIT, upstream], check=False
            )
            if clone.returncode != 0:
                reason = (clone.stderr.strip().splitlines() or ["unreachable"])[-1]
                return f"upstream main unreachable ({reason}); use --upstream PATH"
        return Source(upstream, upstream, None)
    wheel = download(f"openai_agents-{release}-py3-none-any.whl")
    sdist = download(f"openai_agents-{release}.tar.gz")
    return Source(wheel, unpack(sdist, work, whole=False), sdist)


def unpack(sdist: Path, work: Path, *, whole: bool) -> Path:
    """Unpack an sdist: whole into the work dir, or the parts the matrix reads into the cache."""
    root = sdist.name.removesuffix(".tar.gz")
    target = work if whole else CACHE / "trees"
    if (target / root).is_dir():
        return target / root
    scratch = Path(tempfile.mkdtemp(prefix=f"{root}-", dir=CACHE))
    with tarfile.open(sdist) as archive:
        members = [
            m
            for m in archive.getmembers()
            if whole or m.name.removeprefix(f"{root}/").startswith(SDIST_PARTS)
        ]
        archive.extractall(scratch, members=members, filter="data")
    target.mkdir(parents=True, exist_ok=True)
    try:
        (scratch / root).rename(target / root)
    except OSError:  # unpacked meanwhile by another job
        pass
    shutil.rmtree(scratch, ignore_errors=True)
    return target / root


def prepare_tree(upstream_tree: Path, work: Path) -> Path:
    """A copy of upstream's tests with ours dropped in unchanged, and hitl_testkit beside them,
    imported as it is in this checkout, to run from."""
    tree = work / "tree"
    shutil.copytree(upstream_tree / "tests", tree / "tests")
    shutil.copy2(upstream_tree / "pyproject.toml", tree / "pyproject.toml")
    for ours in sorted(RELEASE_TESTS.glob("test_*.py")):
        target = tree / "tests" / ours.name
        if target.exists():
            raise MatrixError(f"{ours} would overwrite upstream's file")
        shutil.copy2(ours, target)
    shutil.copytree(TESTKIT, tree / TESTKIT.name, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def module_repo(repo: Path, tree: Path, modules: Sequence[str] = (MODULE,)) -> None:
    """A git repository holding one commit: the release's files at src/ (oai_conversation.py
    unless `modules` names others), taken from an upstream tree."""
    for module in modules:
        target = repo / "src" / module
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / "src" / module, target)
    run(["git", "init", "--quiet"], cwd=repo)
    run(["git", "add", "."], cwd=repo)
    run(["git", *IDENTITY, "commit", "--quiet", "-m", "release"], cwd=repo)


def check_git_apply(tree: Path, patches: list[Path]) -> str:
    """`git apply --check` of the release's patches on the sdist tree, and `git am` of them, in
    order, on a repository holding the files they change."""
    run(["git", "apply", "--check", *patches], cwd=tree)
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        module_repo(repo, tree, sorted({read_patch(patch).module for patch in patches}))
        run(["git", *IDENTITY, "am", "--quiet", *patches], cwd=repo)
    return "ok"


def three_way(tree: Path, patch: Path, base: Path, proposal: Path) -> str:
    """Try `git apply --3way` of a patch made for another revision of the tree's
    oai_conversation.py; say how it went.

    `base` is the file the patch was made for: git needs it to merge. When the merge is clean,
    the rebased change is written to `proposal` for review.
    """
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        module_repo(repo, tree)
        run(["git", "hash-object", "-w", base], cwd=repo)
        merged = run(["git", "apply", "--3way", patch], cwd=repo, check=False)
        if merged.returncode != 0:
            conflicts = [
                line for line in merged.stderr.splitlines() if "conflict" in line.lower()
            ] or (merged.stderr.strip().splitlines() or ["failed"])[-1:]
            return (
                f"`git apply --3way {patch.name}` does not merge ({'; '.join(conflicts)}): "
                "no rebased patch can be proposed; the fix must be ported by hand"
            )
        diff = run(["git", "diff", "--cached", "--full-index"], cwd=repo).stdout
    proposal.parent.mkdir(parents=True, exist_ok=True)
    proposal.write_text(diff)
    return (
        f"`git apply --3way {patch.name}` merges cleanly: a rebased patch can be proposed, "
        f"see {proposal} (review it, then add it to patches/ with a DEP-3 header)"
    )
