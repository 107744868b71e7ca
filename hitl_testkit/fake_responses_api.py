"""A strict double of the OpenAI Responses API, answering the real ``openai`` client in process.

``StrictResponsesAPI`` keeps every response's full context (what it inherited through
``previous_response_id`` or a ``conversation``, the request's input, and the response's output)
and rejects a request only where the real API is documented, or quoted in a public thread, to
reject it. Each rule and its source:

- a function call in the context without an output: 400 "No tool output found for function call
  <call_id>." (quoted from the API in
  https://github.com/openai/openai-agents-python/issues/3004 and
  https://github.com/openai/openai-agents-python/issues/1061);
- an output whose call is not in the context: 400 "No tool call found for function call output
  with call_id <call_id>." (quoted with the API's JSON in https://github.com/vercel/ai/issues/8216);
- an input item whose id the context already holds: 400 "Duplicate item found with id <id>.
  Remove duplicate items from your input and try again." (quoted from the API in
  https://github.com/openai/openai-agents-python/issues/1789);
- ``previous_response_id`` together with ``conversation``: the API reference says the two cannot
  be used together; the message text is this double's own;
- an unknown ``previous_response_id``: the API cannot continue a response it does not hold; the
  message text is this double's own;
- a ``function_call`` or ``function_call_output`` without ``call_id``: the API reference marks
  ``call_id`` required; the message text is this double's own.

``POST /v1/conversations/{conversation_id}/items`` (the Conversations API's "Create items") adds
items to a conversation without a model response; the reference requires ``items`` and allows
"up to 20 items at a time", and the double refuses an empty or longer list (its own message text).
``GET`` on the same path ("List items") returns them, a message's text as content parts (the
reference's Message object), in ``order`` (``asc`` or the reference's default ``desc``), at most
``limit`` (the reference's default 20), without pagination.
``conversation_items_status`` makes Create items answer with that status instead, a failure a
test injects: a server error is no rule of the API. ``POST /v1/conversations`` ("Create a
conversation") opens an empty conversation with a new id, and ``DELETE`` on its path ("Delete a
conversation") drops it.

Assumptions, not checked against the API: an unknown conversation id is an empty conversation (the
real API wants it created first), and a second output for one call is accepted. The double never
rejects a duplicate output: whether the SDK sent an output once is the tests' assertion about the
SDK (wire.py's ``assert_every_call_answered_once``), not a claim about the server.

The model is scripted: each request takes the next list of output items from ``script``, or asks a
callable for them. Its logic knows nothing of a transport: it maps a method, a path and a body to a
status and a body. Tests reach it through ``httpx.MockTransport`` (wire.py's ``openai_client``);
``loopback_responses_api.py`` serves it on 127.0.0.1 for the live test's other process.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    import httpx

Item = dict[str, Any]
# A scripted model as a function: a request's body in, the output items of its response out.
Responder = Callable[[dict[str, Any]], list[Item]]

ROUTES = {"/v1/responses", "/responses"}
# The Conversations API's "Create items": POST /v1/conversations/{conversation_id}/items.
CONVERSATION_ITEMS = re.compile(r"(?:/v1)?/conversations/([^/]+)/items")
# Its "Create a conversation" (POST) and "Delete a conversation" (DELETE /{conversation_id}).
CONVERSATIONS = re.compile(r"(?:/v1)?/conversations(?:/([^/]+))?")
# "You may add up to 20 items at a time" (the Conversations API reference, Create items).
CONVERSATION_ITEMS_PER_REQUEST = 20
# Each kind of call a response can hold, and the kind of input item that answers it.
CALL_TYPES = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "computer_call": "computer_call_output",
    "local_shell_call": "local_shell_call_output",
    "shell_call": "shell_call_output",
    "apply_patch_call": "apply_patch_call_output",
}


class RequestRejected(Exception):
    def __init__(self, message: str, status: int = 400, param: str | None = "input") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param


@dataclass(frozen=True)
class Reply:
    """What the double answers to one request, whatever carried it."""

    status: int
    content_type: str
    body: bytes


class StrictResponsesAPI:
    """Answer ``POST /v1/responses`` like the Responses API, from a script, and
    ``POST /v1/conversations/{id}/items`` like the Conversations API.

    ``requests`` holds every request body received, ``accepted`` the ones answered with a
    response, ``rejections`` the error message of every other one. ``contexts`` maps each
    response id to the full context the model saw plus its output; ``conversations`` maps each
    conversation id to its items. An unknown conversation id is an empty conversation.

    An instance is an ``httpx.MockTransport`` handler; ``openai_client()`` builds the client.
    """

    def __init__(self, script: list[list[Item]] | Responder) -> None:
        self.script = script
        self._ids = itertools.count(1)
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.rejections: list[str] = []
        self.contexts: dict[str, list[Item]] = {}
        self.conversations: dict[str, list[Item]] = {}
        # Every accepted Conversations API "Create items" request: (conversation id, items).
        self.conversation_items_created: list[tuple[str, list[Item]]] = []
        # Create items answers with this status instead, when a test sets it.
        self.conversation_items_status: int | None = None
        # Every HTTP request received, as the transport's request objects (headers, URL).
        self.received: list[Any] = []

    def add_turns(self, *turns: list[Item]) -> None:
        """Queue the model's next outputs: one list of output items per request."""
        assert isinstance(self.script, list), "this double follows a callable script"
        self.script.extend(turns)

    # -- the transport-independent answer

    def answer(self, method: str, path: str, content: bytes) -> Reply:
        """The reply to one HTTP request: a response, its server-sent events, or an error."""
        route, _, query = path.partition("?")
        route = route.rstrip("/")
        conversation_items = CONVERSATION_ITEMS.fullmatch(route)
        if method == "GET" and conversation_items is not None:
            items = self.conversations.get(conversation_items.group(1), [])
            return _json_reply(200, _item_list(_listed(items, dict(parse_qsl(query)))))
        conversation = CONVERSATIONS.fullmatch(route)
        if conversation is not None and (method, conversation.group(1) is None) in {
            ("POST", True),
            ("DELETE", False),
        }:
            return _json_reply(200, self._conversation(method, conversation.group(1)))
        if method != "POST" or (route not in ROUTES and conversation_items is None):
            return _json_reply(404, _error(f"Unknown route: {method} {path}", None))
        try:
            body = json.loads(content or b"{}")
        except ValueError:
            return _json_reply(400, _error("The request body is not valid JSON.", None))
        try:
            if conversation_items is not None and self.conversation_items_status is not None:
                error = _error("The server had an error processing your request.", None)
                return _json_reply(self.conversation_items_status, error)
            if conversation_items is not None:
                return _json_reply(200, self._create_items(conversation_items.group(1), body))
            response = self._respond(body)
        except RequestRejected as rejection:
            return _json_reply(rejection.status, _error(rejection.message, rejection.param))
        except Exception as error:  # a broken script or request: answer, don't hang up
            self.rejections.append(f"stand-in error: {error!r}")
            return _json_reply(500, _error(f"stand-in error: {error!r}", None))
        if body.get("stream"):
            events = "".join(
                f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
                for event in _events(response)
            )
            return Reply(200, "text/event-stream", events.encode())
        return _json_reply(200, response)

    # -- the httpx.MockTransport handler

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        path = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
        reply = self.answer(request.method, path, await request.aread())
        # httpx.Response, or httpx2.Response when the transport is httpx2's (openai 3's own).
        http = sys.modules[type(request).__module__.partition(".")[0]]
        response: httpx.Response = http.Response(
            reply.status,
            headers={"content-type": reply.content_type},
            content=reply.body,
            request=request,
        )
        return response

    # -- request handling

    def _respond(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        try:
            context = self._inherited_context(body)
            new_input = input_items(body)
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

    def _conversation(self, method: str, conversation: str | None) -> dict[str, Any]:
        """Create or delete a conversation, as the Conversations API does."""
        if method == "DELETE":
            self.conversations.pop(str(conversation), None)
            return {"id": conversation, "object": "conversation.deleted", "deleted": True}
        created = f"conv_{next(self._ids):04d}"
        self.conversations[created] = []
        return {"id": created, "object": "conversation", "created_at": 0, "metadata": {}}

    def _create_items(self, conversation: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add items to a conversation, as the Conversations API's "Create items" does."""
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise RequestRejected("Missing required parameter: 'items'.", param="items")
        if len(items) > CONVERSATION_ITEMS_PER_REQUEST:
            raise RequestRejected(
                f"Too many items: at most {CONVERSATION_ITEMS_PER_REQUEST} at a time.",
                param="items",
            )
        created = [
            {"id": f"item_{next(self._ids):04d}", "status": "completed", **_stored(item)}
            for item in input_items({"input": items})
        ]
        self.conversations.setdefault(conversation, []).extend(created)
        self.conversation_items_created.append((conversation, created))
        return _item_list(created)

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


def _stored(item: Item) -> Item:
    """An item as the Conversations API holds it: a message's text content becomes a list of
    content parts, as the reference's Message object has it."""
    if item.get("type") != "message" or not isinstance(item.get("content"), str):
        return item
    part = "output_text" if item.get("role") == "assistant" else "input_text"
    return {**item, "content": [{"type": part, "text": item["content"]}]}


def _item_list(items: list[Item]) -> dict[str, Any]:
    """A page of the Conversations API's items, the whole list."""
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": False,
    }


def _listed(items: list[Item], query: dict[str, str]) -> list[Item]:
    """A conversation's items as List items returns them: newest first unless ``order=asc``."""
    ordered = list(items) if query.get("order") == "asc" else list(reversed(items))
    return ordered[: int(query.get("limit", "20"))]


def _json_reply(status: int, payload: dict[str, Any]) -> Reply:
    return Reply(status, "application/json", json.dumps(payload).encode())


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


def input_items(body: dict[str, Any]) -> list[Item]:
    value = body.get("input")
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [item if "type" in item else {"type": "message", **item} for item in value]


def _check_input(context: list[Item], new_input: list[Item]) -> None:
    """Reject input the way the Responses API does (the rules in this module's docstring)."""
    seen_ids = {item["id"] for item in context if item.get("id")}
    for item in new_input:
        if item.get("id") and item["id"] in seen_ids:
            raise RequestRejected(
                f"Duplicate item found with id {item['id']}. "
                "Remove duplicate items from your input and try again."
            )
        if item.get("id"):
            seen_ids.add(item["id"])
    items = context + new_input
    for item in items:
        if item.get("type") in {"function_call", "function_call_output"}:
            if not isinstance(item.get("call_id"), str):
                raise RequestRejected(f"Missing required parameter: call_id of {item['type']}.")
    calls = [item["call_id"] for item in items if item.get("type") == "function_call"]
    answered: set[str] = set()
    for item in items:
        if item.get("type") == "function_call_output":
            call_id = item["call_id"]
            if call_id not in calls:
                raise RequestRejected(
                    f"No tool call found for function call output with call_id {call_id}."
                )
            answered.add(call_id)
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
