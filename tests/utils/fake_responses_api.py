"""A strict stand-in for the OpenAI Responses API, served on 127.0.0.1 with the standard library.

It keeps every response's full context (what it inherited through ``previous_response_id`` or a
``conversation``, the request's input, and the response's output) and rejects a request the way
the real API does when a function call lacks its output, or when a call gets a second output.
The model is scripted: each request takes the next list of output items from ``script``, or asks
a callable for them.

Run as ``python -m tests.utils.fake_responses_api`` it serves the scenario of the report's live
reproduction, prints its base URL on one line, and stops when its standard input closes.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Item = dict[str, Any]
Script = Callable[[dict[str, Any]], list[Item]]


class RequestRejected(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class FakeResponsesAPI:
    """Serve ``POST /v1/responses`` on an OS-chosen loopback port until ``stop()``."""

    def __init__(self, script: list[list[Item]] | Script) -> None:
        self.script = script
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.contexts: dict[str, list[Item]] = {}
        self.conversations: dict[str, list[Item]] = {}
        self.requests: list[dict[str, Any]] = []
        self.rejections: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeResponsesAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeResponsesAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add_turns(self, *turns: list[Item]) -> None:
        """Queue the model's next outputs: one list of output items per request."""
        assert isinstance(self.script, list), "this stand-in follows a callable script"
        self.script.extend(turns)

    def outputs_by_call_id(self) -> dict[str, list[str]]:
        """Every function_call_output the server accepted, by call id, across all requests."""
        outputs: dict[str, list[str]] = {}
        for request in self.requests:
            for item in _input_items(request):
                if item.get("type") == "function_call_output":
                    outputs.setdefault(item["call_id"], []).append(str(item.get("output")))
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
            context = self._inherited_context(body)
            new_input = _input_items(body)
            _check_tool_outputs(context, new_input)
            if isinstance(self.script, list):
                if not self.script:
                    raise RequestRejected("the scripted model has no more turns", status=500)
                output = self.script.pop(0)
            else:
                output = self.script(body)
            output = [self._with_ids(item) for item in output]
            response_id = f"resp_{next(self._ids):04d}"
            self.contexts[response_id] = context + new_input + output
            conversation = _conversation_id(body)
            if conversation is not None:
                self.conversations.setdefault(conversation, []).extend(new_input + output)
            self.requests.append(body)
            return _response(response_id, body, output)

    def _inherited_context(self, body: dict[str, Any]) -> list[Item]:
        previous = body.get("previous_response_id")
        conversation = _conversation_id(body)
        if previous is not None and conversation is not None:
            raise RequestRejected("previous_response_id cannot be used with conversation")
        if previous is not None:
            if previous not in self.contexts:
                raise RequestRejected(f"Previous response with id '{previous}' not found.")
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
        return item

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") not in {"/v1/responses", "/responses"}:
                    self._send_json(404, _error(f"no route for {self.path}"))
                    return
                try:
                    response = api._respond(body)
                except RequestRejected as rejection:
                    api.rejections.append(rejection.message)
                    self._send_json(rejection.status, _error(rejection.message))
                    return
                if body.get("stream"):
                    self._send_events(response)
                else:
                    self._send_json(200, response)

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_events(self, response: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                sequence = itertools.count()
                in_progress = {**response, "status": "in_progress", "output": []}
                events: list[dict[str, Any]] = [
                    {"type": "response.created", "response": in_progress}
                ]
                for index, item in enumerate(response["output"]):
                    for kind in ("added", "done"):
                        events.append(
                            {
                                "type": f"response.output_item.{kind}",
                                "output_index": index,
                                "item": item,
                            }
                        )
                events.append({"type": "response.completed", "response": response})
                for event in events:
                    event["sequence_number"] = next(sequence)
                    self.wfile.write(
                        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    )
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


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


def _check_tool_outputs(context: list[Item], new_input: list[Item]) -> None:
    """Reject input the way the Responses API does: every call answered, and only once."""
    seen_ids = {item["id"] for item in context if item.get("id")}
    for item in new_input:
        if item.get("id") in seen_ids:
            raise RequestRejected(f"Duplicate item found with id {item['id']}.")
    calls = [item["call_id"] for item in context + new_input if item.get("type") == "function_call"]
    answered: dict[str, int] = {}
    for item in context + new_input:
        if item.get("type") == "function_call_output":
            call_id = item.get("call_id")
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


def _error(message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }


def _response(response_id: str, body: dict[str, Any], output: list[Item]) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": body.get("model", "gpt-4.1-mini"),
        "status": "completed",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "previous_response_id": body.get("previous_response_id"),
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
    """Greet, answer a request for work with the mixed parallel batch, then summarise."""
    items = _input_items(body)
    if any(item.get("type") == "function_call_output" for item in items):
        return [message("All requested operations have been handled.")]
    if "parallel" in json.dumps(items):
        return [dict(item) for item in PARALLEL_BATCH]
    return [message("Hello! Tell me what to clean up or diagnose.")]


def main() -> None:
    with FakeResponsesAPI(report_scenario) as api:
        print(api.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
