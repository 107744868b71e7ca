"""The strict double on 127.0.0.1, for the one test that another process runs: the live test.

Run as ``python -m hitl_testkit.loopback_responses_api``, it serves the scenario of the report's
live reproduction, prints its base URL on one line, and stops when its standard input closes or
it receives SIGTERM. Standard library only, besides the double itself.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import FrameType
from typing import Any

from .fake_responses_api import Item, StrictResponsesAPI, input_items
from .wire import message


class LoopbackServer:
    """Serve a ``StrictResponsesAPI`` on an OS-chosen 127.0.0.1 port while in the ``with`` block.

    One request at a time, in one thread, through ``serve_forever``; leaving the block shuts
    the server down and closes its socket.
    """

    HOST = "127.0.0.1"

    def __init__(self, api: StrictResponsesAPI) -> None:
        # Binds the socket now, so base_url is usable as soon as the object exists.
        self._server = HTTPServer((self.HOST, 0), _handler(api))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.HOST}:{self._server.server_port}/v1"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def _handler(api: StrictResponsesAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            reply = api.answer(self.command, self.path, self.rfile.read(length))
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_POST = do_GET = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# -- the report's live scenario

PARALLEL_BATCH: list[Item] = [
    {"type": "function_call", "name": "run_cleanup", "arguments": '{"target": "temp_files"}'},
    {"type": "function_call", "name": "run_diagnostic", "arguments": '{"check_name": "thermal"}'},
    {"type": "function_call", "name": "run_cleanup", "arguments": '{"target": "winsxs_cache"}'},
]


def report_scenario(body: dict[str, Any]) -> list[Item]:
    """Greet, answer the request for parallel work with the mixed batch, then summarise."""
    items = input_items(body)
    if any(item.get("type") == "function_call_output" for item in items):
        return [message("All requested operations have been handled.")]
    if "parallel" in json.dumps(items):
        return [dict(item) for item in PARALLEL_BATCH]
    return [message("Hello! Tell me what to clean up or diagnose.")]


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    with LoopbackServer(StrictResponsesAPI(report_scenario)) as server:
        print(server.base_url, flush=True)
        try:
            sys.stdin.read()  # serve until standard input closes
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
