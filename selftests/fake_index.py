"""A package index on 127.0.0.1 serving made-up openai-agents releases, built from a real one.

A made-up release is a cached real release's wheel and sdist under a new version, optionally
with its oai_conversation.py changed. The index answers the JSON simple API (PEP 691).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from releases import MODULE


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
def serve(files: dict[str, bytes]) -> Iterator[str]:
    """Serve the files as openai-agents' on a simple API root; yield the root's URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/simple/openai-agents/":
                entries = [
                    {
                        "filename": name,
                        "url": f"{host}/files/{name}",
                        "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                        "upload-time": "2026-09-01T00:00:00.000000Z",
                    }
                    for name, data in files.items()
                ]
                body = json.dumps({"name": "openai-agents", "files": entries}).encode()
                kind = "application/vnd.pypi.simple.v1+json"
            elif self.path.removeprefix("/files/") in files:
                body, kind = files[self.path.removeprefix("/files/")], "application/octet-stream"
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
