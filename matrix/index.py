"""The package index the user's tools are set to, its files for openai-agents, and downloads.

The index is the first of these that is set: UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL, pip's
`global.index-url` (`pip config get`), else PyPI. Extra indexes (UV_INDEX, PIP_EXTRA_INDEX_URL,
`global.extra-index-url`) are not read: they often are partial mirrors, without sdists, and the
matrix needs a release's sdist as well as its wheel. pypi-simple reads both forms of the simple
API: JSON (PEP 691), and HTML (PEP 503), which has no upload times. It reads them over HTTP(S)
only: an index in a directory (a file: URL) is refused; `python3 -m http.server` can serve it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from datetime import timezone
from pathlib import Path

from packaging.version import InvalidVersion, Version
from pypi_simple import (
    DigestMismatchError,
    DistributionPackage,
    NoSuchProjectError,
    PyPISimple,
    UnsupportedRepoVersionError,
)

from releases import write_atomically

from .paths import CACHE
from .shell import MatrixError, say

PROJECT = "openai-agents"
PYPI = "https://pypi.org/simple/"
SETTINGS = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")

_index_lock = threading.Lock()
_index: dict[str, DistributionPackage] = {}


@functools.cache
def index_url() -> str:
    """The simple API root the user's uv or pip is set to, ending in a slash."""
    url = next((os.environ[name] for name in SETTINGS if os.environ.get(name)), "")
    # A nox session's environment has no pip of its own; then the pip on PATH says.
    for pip in ([sys.executable, "-m", "pip"], [shutil.which("pip3") or "pip"]):
        if url:
            break
        with contextlib.suppress(OSError):
            configured = subprocess.run(
                [*pip, "config", "get", "global.index-url"],
                capture_output=True,
                text=True,
                check=False,
            )
            url = configured.stdout.strip() if configured.returncode == 0 else ""
    return (url or PYPI).rstrip("/") + "/"


def index_files() -> dict[str, DistributionPackage]:
    """The package index's files for openai-agents, by file name (fetched once per run)."""
    with _index_lock:
        if not _index:
            url = f"{index_url()}{PROJECT}/"
            if not url.startswith(("http://", "https://")):
                raise MatrixError(
                    f"cannot read the package index {url}: only HTTP(S) is read; "
                    "`python3 -m http.server` serves a directory"
                )
            try:
                with PyPISimple(endpoint=index_url()) as client:
                    page = client.get_project_page(PROJECT, timeout=60)
            except (OSError, ValueError, NoSuchProjectError, UnsupportedRepoVersionError) as error:
                raise MatrixError(f"cannot read the package index {url}: {error}") from None
            _index.update({package.filename: package for package in page.packages})
        return _index


def index_versions(*, prereleases: bool = False) -> list[str]:
    """The releases on the index with a wheel, oldest first, as PEP 440 orders them; pre- and
    dev releases only when asked for, as pip does."""
    versions: dict[str, Version] = {}
    for package in index_files().values():
        if package.package_type != "wheel" or package.is_yanked or not package.version:
            continue
        try:
            version = Version(package.version)
        except InvalidVersion:
            continue
        if prereleases or not version.is_prerelease:
            versions[package.version] = version
    return sorted(versions, key=versions.__getitem__)


def download(filename: str) -> Path:
    """Fetch one release file into the shared cache, checking its sha256.

    The sha256 is recorded next to the file; a cached file is used only while it still has it, so
    a copy left truncated by a full disk or an interrupted run is fetched again, never trusted.
    The file is fetched under a name of its own and renamed, so no reader ever sees it half written.
    """
    target = CACHE / "files" / filename
    recorded = target.with_name(f"{filename}.sha256")
    if target.exists():
        if recorded.exists() and recorded.read_text().strip() == sha256_of(target):
            return target
        problem = "does not match its recorded sha256" if recorded.exists() else "has no sha256"
        say(f"{filename}: the cached copy {problem}; fetching it again")
    package = index_files().get(filename)
    if package is None:
        raise MatrixError(f"{filename} is not on the package index {index_url()}")
    expected = package.digests.get("sha256")
    if not expected:
        raise MatrixError(f"{filename}: the index gives no sha256 to check it against")
    partial = target.with_name(f".{filename}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with PyPISimple(endpoint=index_url()) as client:
            # pypi-simple checks every digest the index gives, and deletes a file that fails.
            client.download_package(package, partial, verify=True, timeout=120)
    except DigestMismatchError as error:
        raise MatrixError(f"{filename}: {error}") from None
    except OSError as error:
        raise MatrixError(f"{filename}: cannot fetch {package.url}: {error}") from None
    os.replace(partial, target)
    write_atomically(recorded, expected + "\n")
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_time(filename: str) -> str | None:
    """When the file was uploaded, as an RFC 3339 time in UTC, if the index says (JSON pages do,
    HTML pages do not)."""
    when = index_files()[filename].upload_time
    return f"{when.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S.%fZ}" if when else None
