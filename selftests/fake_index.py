"""A package index on 127.0.0.1 serving made-up openai-agents releases, built from a real one.

A made-up release is a cached real release's wheel and sdist under a new version, optionally
with its oai_conversation.py changed. The index answers as a simple API index does: in JSON (PEP
691) to a client that accepts it, else in HTML (PEP 503); or in HTML only, as a static mirror does.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from matrix.index import SETTINGS
from matrix.paths import ROOT
from releases import MODULE

JSON = "application/vnd.pypi.simple.v1+json"
UPLOADED = "2026-09-01T00:00:00.000000Z"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def rewrap_wheel(wheel: Path, old: str, new: str, change: Callable[[bytes], bytes]) -> bytes:
    """The wheel as version `new`, its dist-info renamed and RECORD rewritten."""
    old_info, new_info = f"openai_agents-{old}.dist-info/", f"openai_agents-{new}.dist-info/"
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as source:
        for name in source.namelist():
            data = source.read(name)
            if name == MODULE:
                data = change(data)
            if name == f"{old_info}METADATA":
                data = data.replace(f"\nVersion: {old}\n".encode(), f"\nVersion: {new}\n".encode())
            files[name.replace(old_info, new_info)] = data
    record = f"{new_info}RECORD"
    rows = [f"{name},{_record_hash(data)},{len(data)}" for name, data in files.items()]
    files[record] = "\n".join(
        [*(r for r in rows if not r.startswith(record)), f"{record},,"]
    ).encode()
    files[record] += b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)
    return buffer.getvalue()


def rewrap_sdist(sdist: Path, old: str, new: str, change: Callable[[bytes], bytes]) -> bytes:
    """The sdist as version `new`: its top folder renamed, its module changed."""
    old_root, new_root = f"openai_agents-{old}", f"openai_agents-{new}"
    buffer = io.BytesIO()
    with tarfile.open(sdist) as source, tarfile.open(fileobj=buffer, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == f"{old_root}/src/{MODULE}" and data is not None:
                data = change(data)
            member.name = new_root + member.name.removeprefix(old_root)
            if data is not None:
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


@contextmanager
def serve(
    files: dict[str, bytes], *, html_only: bool = False, yanked: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Serve the files as openai-agents' on a simple API root; yield the root's URL. With
    html_only, the project page is HTML whatever the client accepts."""
    sha256 = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}

    def project_json(host: str) -> bytes:
        entries = [
            {
                "filename": name,
                "url": f"{host}/files/{name}",
                "hashes": {"sha256": sha256[name]},
                "upload-time": UPLOADED,
                "yanked": name in yanked,
            }
            for name in files
        ]
        page = {"meta": {"api-version": "1.0"}, "name": "openai-agents", "files": entries}
        return json.dumps(page).encode()

    def project_html() -> bytes:
        # Links relative to the page, with the sha256 in their fragment; HTML has no upload times.
        links = "".join(
            f'<a href="../../files/{name}#sha256={sha256[name]}"'
            + (' data-yanked=""' if name in yanked else "")
            + f">{name}</a><br>\n"
            for name in files
        )
        meta = '<meta name="pypi:repository-version" content="1.0">'
        return f"<!DOCTYPE html>\n<html><head>{meta}</head><body>\n{links}</body></html>\n".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            name = self.path.removeprefix("/files/")
            page = self.path == "/simple/openai-agents/"
            if page and JSON in self.headers.get("Accept", "") and not html_only:
                body, kind = project_json(host), JSON
            elif page:
                body, kind = project_html(), "text/html; charset=utf-8"
            elif name in files:
                body, kind = files[name], "application/octet-stream"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def run_matrix(index_url: str, cache: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m matrix` in a process of its own (the cache is fixed when it starts), reading the
    index at `index_url`, its cache in `cache`, and uv offline."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(HOTFIX_CACHE=str(cache), PIP_INDEX_URL=index_url, UV_OFFLINE="1")
    command = [sys.executable, "-m", "matrix", *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
