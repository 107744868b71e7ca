"""The package index the user's tools are set to, its files for openai-agents, and downloads.

The index is the first of these that is set: UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL, pip's
`global.index-url` (`pip config get`), else PyPI. Extra indexes (UV_INDEX, PIP_EXTRA_INDEX_URL,
`global.extra-index-url`) are not read: they often are partial mirrors, without sdists, and the
matrix needs a release's sdist as well as its wheel. Both forms of the simple API are read: JSON
(PEP 691), and HTML (PEP 503), which has no upload times.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from packaging.version import InvalidVersion, Version

from releases import write_atomically

from .paths import CACHE
from .shell import MatrixError, say

PROJECT = "openai-agents"
PYPI = "https://pypi.org/simple/"
SETTINGS = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")

_index_lock = threading.Lock()
_index: dict[str, dict] = {}


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


class _Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 project page, as PEP 691 file entries."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base
        self.files: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        attributes = dict(attrs)
        url, _, fragment = urllib.parse.urljoin(self.base, attributes.get("href") or "").partition(
            "#"
        )
        name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        algorithm, _, digest = fragment.partition("=")
        self.files.append(
            {
                "filename": name,
                "url": url,
                "hashes": {algorithm: digest} if digest else {},
                "yanked": "data-yanked" in attributes,
            }
        )


def read_project_page(url: str) -> list[dict]:
    """The project's files from a simple API page: JSON if the index offers it, else HTML."""
    if url.startswith("file:") and not url.endswith(".html"):
        url += "index.html"
    accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        kind = response.headers.get("Content-Type", "")
        body = response.read()
    if "json" in kind:
        files = json.loads(body)["files"]
        for entry in files:
            entry["url"] = urllib.parse.urljoin(url, entry["url"])
        return files
    parser = _Links(url)
    parser.feed(body.decode())
    return parser.files


def index_files() -> dict[str, dict]:
    """The package index's files for openai-agents, by file name (fetched once per run)."""
    with _index_lock:
        if not _index:
            url = f"{index_url()}{PROJECT}/"
            try:
                files = read_project_page(url)
            except (OSError, ValueError, KeyError) as error:
                raise MatrixError(f"cannot read the package index {url}: {error}") from None
            _index.update({f["filename"]: f for f in files})
        return _index


def index_versions(*, prereleases: bool = False) -> list[str]:
    """The releases on the index with a wheel, oldest first, as PEP 440 orders them; pre- and
    dev releases only when asked for, as pip does."""
    versions: dict[str, Version] = {}
    for name, info in index_files().items():
        if not name.endswith(".whl") or info.get("yanked"):
            continue
        raw = name.split("-")[1]
        try:
            version = Version(raw)
        except InvalidVersion:
            continue
        if prereleases or not version.is_prerelease:
            versions[raw] = version
    return sorted(versions, key=versions.__getitem__)


def download(filename: str) -> Path:
    """Fetch one release file into the shared cache, checking its sha256.

    The sha256 is recorded next to the file; a cached file is used only while it still has it, so
    a copy left truncated by a full disk or an interrupted run is fetched again, never trusted.
    """
    target = CACHE / "files" / filename
    recorded = target.with_name(f"{filename}.sha256")
    if target.exists():
        if recorded.exists() and recorded.read_text().strip() == sha256_of(target):
            return target
        problem = "does not match its recorded sha256" if recorded.exists() else "has no sha256"
        say(f"{filename}: the cached copy {problem}; fetching it again")
    info = index_files().get(filename)
    if info is None:
        raise MatrixError(f"{filename} is not on the package index {index_url()}")
    expected = info.get("hashes", {}).get("sha256")
    if not expected:
        raise MatrixError(f"{filename}: the index gives no sha256 to check it against")
    with urllib.request.urlopen(info["url"], timeout=120) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != expected:
        raise MatrixError(f"{filename}: sha256 mismatch")
    write_atomically(target, data)
    write_atomically(recorded, expected + "\n")
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_time(filename: str) -> str | None:
    """When the file was uploaded, if the index says (JSON pages do, HTML pages do not)."""
    return index_files()[filename].get("upload-time")
