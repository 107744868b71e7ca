"""A strict stand-in for the OpenAI Responses API, served on 127.0.0.1 with the standard library.

It keeps every response's full context (what it inherited through ``previous_response_id`` or a
``conversation``, the request's input, and the response's output) and rejects a request the way
the real API does when a function call lacks its output, or when a call gets a second output.
The model is scripted: each request takes the next list of output items from ``script``, or asks
a callable for them.

Run as ``python -m tests.utils.fake_responses_api`` it serves the scenario of the report's live
reproduction, prints its base URL on one line, and stops when its standard input closes or it
receives SIGTERM.
"""

from __future__ import annotations

import itertools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

Item = dict[str, Any]
Script = Callable[[dict[str, Any]], list[Item]]

HOST = "127.0.0.1"
ROUTES = {"/v1/responses", "/responses"}


class RequestRejected(Exception):
    def __init__(self, message: str, status: int = 400, param: str | None = "input") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param


class FakeResponsesAPI:
    """Serve ``POST /v1/responses`` on an OS-chosen loopback port until ``stop()``.

    ``requests`` holds every request body received, ``accepted`` the ones answered with a
    response, ``rejections`` the error message of every other one. ``contexts`` maps each
    response id to the full context the model saw plus its output; ``conversations`` maps each
    conversation id to its items. An unknown conversation id is an empty conversation.
    """

    def __init__(self, script: list[list[Item]] | Script) -> None:
        self.script = script
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.rejections: list[str] = []
        self.contexts: dict[str, list[Item]] = {}
        self.conversations: dict[str, list[Item]] = {}
        # Binds the socket now, so base_url is usable as soon as the object exists.
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self._server.daemon_threads = True
        # stop() waits for the serving loop to notice, once per test: poll often.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}/v1"

    def start(self) -> FakeResponsesAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> FakeResponsesAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add_turns(self, *turns: list[Item]) -> None:
        """Queue the model's next outputs: one list of output items per request."""
        assert isinstance(self.script, list), "this stand-in follows a callable script"
        with self._lock:
            self.script.extend(turns)

    def outputs_by_call_id(self) -> dict[str, list[Any]]:
        """Every function_call_output the server accepted, by call id, across all requests."""
        outputs: dict[str, list[Any]] = {}
        for request in self.accepted:
            for item in _input_items(request):
                if item.get("type") == "function_call_output":
                    outputs.setdefault(item["call_id"], []).append(item.get("output"))
        return outputs

    def call_ids(self) -> list[str]:
        """Call ids of every function call the model made, in order."""
        calls = [
            item["call_id"]
            for context in self.contexts.values()
            for item in context
            if item.get("type") == "function_call"
        ]
        return list(dict.fromkeys(calls))

    # -- request handling

    def _respond(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            try:
                context = self._inherited_context(body)
                new_input = _input_items(body)
                _check_input(context, new_input)
                output = [self._with_ids(item) for item in self._next_turn(body)]
            except RequestRejected as rejection:
                self.rejections.append(rejection.message)
                raise
            response_id = f"resp_{next(self._ids):04d}"
            self.contexts[response_id] = context + new_input + output
            conversation = _conversation_id(body)
            if conversation is not None:
                self.conversations.setdefault(conversation, []).extend(new_input + output)
            self.accepted.append(body)
            return _response(response_id, body, output)

    def _next_turn(self, body: dict[str, Any]) -> list[Item]:
        if callable(self.script):
            return self.script(body)
        if not self.script:
            raise RequestRejected("the scripted model has no more turns", status=500, param=None)
        return self.script.pop(0)

    def _inherited_context(self, body: dict[str, Any]) -> list[Item]:
        previous = body.get("previous_response_id")
        conversation = _conversation_id(body)
        if previous is not None and conversation is not None:
            raise RequestRejected(
                "Mutually exclusive parameters: 'previous_response_id' and 'conversation'.",
                param="previous_response_id",
            )
        if previous is not None:
            if previous not in self.contexts:
                raise RequestRejected(
                    f"Previous response with id '{previous}' not found.",
                    param="previous_response_id",
                )
            return list(self.contexts[previous])
        if conversation is not None:
            return list(self.conversations.get(conversation, []))
        return []

    def _with_ids(self, item: Item) -> Item:
        item = dict(item)
        item.setdefault("status", "completed")
        if item["type"] == "function_call":
            item.setdefault("id", f"fc_{next(self._ids):04d}")
            item.setdefault("call_id", f"call_{next(self._ids):04d}")
        elif item["type"] == "message":
            item.setdefault("id", f"msg_{next(self._ids):04d}")
            item.setdefault("role", "assistant")
        return item

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0].rstrip("/") not in ROUTES:
                    self._send_json(404, _error(f"Unknown route: POST {self.path}", None))
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send_json(400, _error("The request body is not valid JSON.", None))
                    return
                try:
                    response = api._respond(body)
                except RequestRejected as rejection:
                    self._send_json(rejection.status, _error(rejection.message, rejection.param))
                    return
                except Exception as error:  # a broken script or request: answer, don't hang up
                    api.rejections.append(f"stand-in error: {error!r}")
                    self._send_json(500, _error(f"stand-in error: {error!r}", None))
                    return
                if body.get("stream"):
                    self._send_events(response)
                else:
                    self._send_json(200, response)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._send_json(404, _error(f"Unknown route: GET {self.path}", None))

            do_DELETE = do_GET

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_events(self, response: dict[str, Any]) -> None:
                # HTTP/1.0 without Content-Length: the stream ends when the connection closes.
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for event in _events(response):
                    self.wfile.write(
                        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    )
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The server-sent events of a streamed response, numbered in order."""
    in_progress = {**response, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": in_progress}]
    for index, item in enumerate(response["output"]):
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": response})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def _conversation_id(body: dict[str, Any]) -> str | None:
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        conversation = conversation.get("id")
    return conversation if isinstance(conversation, str) else None


def _input_items(body: dict[str, Any]) -> list[Item]:
    value = body.get("input")
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [item if "type" in item else {"type": "message", **item} for item in value]


def _check_input(context: list[Item], new_input: list[Item]) -> None:
    """Reject input the way the Responses API does: every call answered, and only once."""
    seen_ids = {item["id"] for item in context if item.get("id")}
    for item in new_input:
        if item.get("id") and item["id"] in seen_ids:
            raise RequestRejected(f"Duplicate item found with id {item['id']}.")
        if item.get("id"):
            seen_ids.add(item["id"])
    items = context + new_input
    for item in items:
        if item.get("type") in {"function_call", "function_call_output"}:
            if not isinstance(item.get("call_id"), str):
                raise RequestRejected(f"Missing required parameter: call_id of {item['type']}.")
    calls = [item["call_id"] for item in items if item.get("type") == "function_call"]
    answered: dict[str, int] = {}
    for item in items:
        if item.get("type") == "function_call_output":
            call_id = item["call_id"]
            if call_id not in calls:
                raise RequestRejected(
                    f"No tool call found for function call output with call_id {call_id}."
                )
            answered[call_id] = answered.get(call_id, 0) + 1
            if answered[call_id] > 1:
                raise RequestRejected(f"Duplicate tool output for function call {call_id}.")
    for call_id in calls:
        if call_id not in answered:
            raise RequestRejected(f"No tool output found for function call {call_id}.")


def _error(message: str, param: str | None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": None,
        }
    }


def _response(response_id: str, body: dict[str, Any], output: list[Item]) -> dict[str, Any]:
    """A response object that validates as ``openai.types.responses.Response`` (openai 2 and 3)."""
    conversation = _conversation_id(body)
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": body.get("model") or "gpt-4.1-mini",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "previous_response_id": body.get("previous_response_id"),
        "conversation": {"id": conversation} if conversation else None,
        "usage": {
            "input_tokens": 1,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": 1,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 2,
        },
    }


# -- the report's live scenario, for `python -m tests.utils.fake_responses_api`

PARALLEL_BATCH: list[Item] = [
    {"type": "function_call", "name": "run_cleanup", "arguments": '{"target": "temp_files"}'},
    {"type": "function_call", "name": "run_diagnostic", "arguments": '{"check_name": "thermal"}'},
    {"type": "function_call", "name": "run_cleanup", "arguments": '{"target": "winsxs_cache"}'},
]


def message(text: str) -> Item:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def report_scenario(body: dict[str, Any]) -> list[Item]:
    """Greet, answer the request for parallel work with the mixed batch, then summarise."""
    items = _input_items(body)
    if any(item.get("type") == "function_call_output" for item in items):
        return [message("All requested operations have been handled.")]
    if "parallel" in json.dumps(items):
        return [dict(item) for item in PARALLEL_BATCH]
    return [message("Hello! Tell me what to clean up or diagnose.")]


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    with FakeResponsesAPI(report_scenario) as api:
        print(api.base_url, flush=True)
        try:
            sys.stdin.read()  # serve until standard input closes
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
