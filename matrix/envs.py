"""Release environments: upstream's pins for a release, the environment, and its lock.

An environment in the shared cache belongs to one run at a time: `release_lock` holds an
exclusive file lock on it while a run installs into it, patches it, tests it and reverts it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from releases import PATCHES, git_blob, read_manifest, read_patch, write_atomically

from .paths import CACHE
from .shell import MatrixError, run, say

if TYPE_CHECKING:
    from .trees import Source

# Test tools, at the versions upstream's lock gives its groups and extras. Upstream's tests import
# httpx (test_agent_runner_streamed.py from 0.21.0 on), which releases built on openai 3 do not
# install at runtime: they use httpx2, and so do our tests' client there.
TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-mock", "inline-snapshot", "httpx")


@functools.cache
def python_version(python: str) -> str:
    """The interpreter's X.Y, which names its environments; a clear error if it is missing."""
    if not (shutil.which(python) or Path(python).is_file()):
        raise MatrixError(f"no interpreter {python!r} on this machine")
    done = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    return done.stdout.strip()


def env_dir(release: str, python: str) -> Path:
    """The cached environment of a release for one Python version."""
    return CACHE / "envs" / f"{release}-py{python_version(python)}"


@contextlib.contextmanager
def release_lock(name: str) -> Iterator[None]:
    """Hold a release's environment alone; say so once if another run holds it."""
    path = CACHE / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"{name}: waiting for another run to finish with its environment ({path})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pins(release: str, source: Source, python: str) -> Path:
    """Runtime pins from upstream's uv.lock plus its test tools, resolved once per release and
    Python version (markers such as `python_version < "3.11"` differ between them)."""
    version = python_version(python)
    target = CACHE / "pins" / f"{release}-py{version}.txt"
    if target.exists() and release != "main":
        return target
    export = ["uv", "export", "--frozen", "--no-hashes", "--no-emit-project", "--quiet"]
    runtime = run([*export, "--no-dev"], cwd=source.tree).stdout
    dev = run([*export, "--all-groups", "--all-extras"], cwd=source.tree).stdout
    tools = [line for line in dev.splitlines() if line.split("==")[0] in TEST_TOOLS]
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.in"
        requirements.write_text(runtime + "\n".join(tools) + "\n")
        command = ["uv", "pip", "compile", "--quiet", "--no-header", "--python-version", version]
        command.append(requirements)
        cutoff = source.cutoff()
        if cutoff:
            command += ["--exclude-newer", cutoff]
        compiled = run(command).stdout
    write_atomically(target, compiled)
    return target


def pinned(requirements: Path, name: str) -> str:
    for line in requirements.read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split("==")[1].split()[0]
    return "?"


def make_env(
    where: Path,
    requirements: Path,
    package: Path,
    python: str,
    patches: Sequence[Path] = (),
) -> Path:
    """An environment with the release installed unpatched.

    Given the release's patches, an environment left by an earlier run is reused while its
    interpreter, pins and wheel are unchanged and every file they change is the release's own.
    """
    interpreter = where / "bin" / "python"
    # The real interpreter, so that nox's per-session virtualenvs share the same environments.
    base = os.path.realpath(shutil.which(python) or python)
    stamp = f"{base}\n{package.resolve()}\n{requirements.read_text()}"
    stamp_file = where / "stamp"
    sites = list(where.glob("lib/python*/site-packages"))
    if patches and len(sites) == 1 and stamp_file.is_file() and stamp_file.read_text() == stamp:
        # A file's first patch fits the release's own file; later ones go on top of it.
        first: dict[str, str] = {}
        for patch in map(read_patch, patches):
            first.setdefault(patch.module, patch.base_blob)
        if all(
            (sites[0] / module).is_file() and git_blob((sites[0] / module).read_bytes()) == blob
            for module, blob in first.items()
        ):
            return interpreter
    shutil.rmtree(where, ignore_errors=True)
    run(["uv", "venv", "--quiet", "--python", python, where])
    run(["uv", "pip", "sync", "--quiet", "--python", interpreter, requirements])
    run(["uv", "pip", "install", "--quiet", "--no-deps", "--python", interpreter, package])
    stamp_file.write_text(stamp)
    return interpreter


@contextlib.contextmanager
def held_env(release: str, python: str) -> Iterator[tuple[Path, Path, Path]]:
    """A release's cached environment, held alone: its interpreter, its sdist tree (the parts the
    matrix reads) and a scratch directory, removed afterwards. The environment is the matrix's,
    unpatched."""
    from .trees import release_source

    manifest = read_manifest()
    if release == "main" or release not in manifest:
        raise MatrixError(f"{release}: not a release in patches/manifest")
    patches = [PATCHES / name for name in manifest[release].patch_files]
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"held-{release}-", dir=CACHE) as scratch:
        source = release_source(release, Path(scratch), None)
        assert not isinstance(source, str)
        where = env_dir(release, python)
        with release_lock(where.name):
            requirements = pins(release, source, python)
            interpreter = make_env(where, requirements, source.package, python, patches)
            yield interpreter, source.tree, Path(scratch)


def overlay(requirement: str, python: str, *, dependencies: bool = False) -> Path:
    """A directory with one test tool for this Python, put on PYTHONPATH instead of installing it
    into a release's environment: a pytest plugin alone (its dependencies are the environment's),
    or with `dependencies`, a library and what it needs."""
    name = f"{requirement.replace('==', '-')}-py{python_version(python)}"
    target = CACHE / "overlay" / name
    if not (target / ".complete").is_file():
        staging = Path(tempfile.mkdtemp(dir=CACHE, prefix=".overlay-"))
        try:
            install = ["uv", "pip", "install", "--quiet", "--python", python]
            install += [] if dependencies else ["--no-deps"]
            run([*install, "--target", staging, requirement])
            (staging / ".complete").write_text(requirement + "\n")
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def site_packages(interpreter: Path) -> Path:
    """The site-packages of an environment the matrix made: where its `agents` package is."""
    [site] = interpreter.parent.parent.glob("lib/python*/site-packages")
    return site
