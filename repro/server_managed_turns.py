"""The turns after a server-managed run that finished on a tool's output, over the wire.

Standalone: needs only ``openai-agents`` installed, makes no network calls and needs no API key.
The real ``AsyncOpenAI`` client talks through ``MockTransport`` to a strict in-process double of
the Responses API. The double rejects a request only as the API is quoted rejecting it: a function
call in the context without an output answers 400 "No tool output found for function call
<call_id>." (https://github.com/openai/openai-agents-python/issues/3004).

The agent uses ``tool_use_behavior="stop_on_first_tool"``, so the first run ends on the output of
``lookup`` without another model request, on a ``conversation_id`` or chained by response id. Then,
for each mode:

- the next turn, as docs/running_agents.md says: the same ``conversation_id`` plus the new user
  turn, or ``previous_response_id=result.last_response_id`` plus the new user turn;
- the finished run's state, through ``to_string()`` and ``RunState.from_string()``, resumed on the
  same conversation (a terminal state: the second symptom of the same missing output).

Exit codes: 0 when every turn is accepted, 1 when the bug shows, 2 when a first run itself fails.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from openai import AsyncOpenAI, BadRequestError, DefaultAsyncHttpxClient
from openai.types.responses import Response

from agents import (
    Agent,
    OpenAIResponsesModel,
    Runner,
    RunState,
    function_tool,
    set_tracing_disabled,
)

# The HTTP library the installed openai is built on, for its MockTransport: httpx2 from openai 3
# on (openai-agents 0.24.0 installs no httpx), httpx before.
http: Any = sys.modules[DefaultAsyncHttpxClient.__mro__[1].__module__.partition(".")[0]]

FUNCTION_CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_lookup",
    "name": "lookup",
    "arguments": '{"city": "Paris"}',
    "status": "completed",
}
MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "It is sunny in Paris.", "annotations": []}],
}


@function_tool
def lookup(city: str) -> str:
    return f"Sunny in {city}."


def error(message: str) -> Any:
    body = {"message": message, "type": "invalid_request_error", "param": "input", "code": None}
    return http.Response(400, json={"error": body})


class FakeResponsesAPI:
    """Answers POST /v1/responses like the real API, checking tool outputs in the context, and
    POST /v1/conversations/{id}/items (the Conversations API's "Create items"), which adds items
    to a conversation without a model response."""

    def __init__(self) -> None:
        self.conversations: dict[str, list[dict[str, Any]]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}

    async def __call__(self, request: Any) -> Any:
        path = request.url.path
        if request.method == "POST" and path.startswith("/v1/conversations/"):
            conversation, _, rest = path.removeprefix("/v1/conversations/").partition("/")
            if rest == "items":
                return self.create_items(conversation, json.loads(request.content)["items"])
        if request.method != "POST" or path != "/v1/responses":
            return http.Response(404, json={"error": {"message": "Not found.", "code": None}})
        body = json.loads(request.content)
        new_input = body["input"]
        if isinstance(new_input, str):
            new_input = [{"role": "user", "content": new_input}]
        conversation = body.get("conversation")
        conversation = conversation["id"] if isinstance(conversation, dict) else conversation
        # The context is the stored history (a conversation or a response chain) plus new input.
        if conversation:
            history = self.conversations.setdefault(conversation, [])
        elif body.get("previous_response_id"):
            history = self.responses.get(body["previous_response_id"], [])
        else:
            history = []
        context = history + new_input
        # Every function call in the context needs an output with its call id.
        answered = {i["call_id"] for i in context if i.get("type") == "function_call_output"}
        for item in context:
            if item.get("type") == "function_call" and item["call_id"] not in answered:
                return error(f"No tool output found for function call {item['call_id']}.")
        output = [FUNCTION_CALL if not history else MESSAGE]
        response_id = f"resp_{len(self.responses) + 1}"
        self.responses[response_id] = context + output
        if conversation:
            self.conversations[conversation] = context + output
        response = Response.model_validate(
            {
                "id": response_id,
                "object": "response",
                "created_at": 0,
                "model": body["model"],
                "output": output,
                "status": "completed",
                "tool_choice": "auto",
                "tools": [],
                "parallel_tool_calls": True,
                "usage": {
                    "input_tokens": 1,
                    "output_tokens": 1,
                    "total_tokens": 2,
                    # Newer openai releases require cache_write_tokens; older ones keep it as extra.
                    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                    "output_tokens_details": {"reasoning_tokens": 0},
                },
            }
        )
        return http.Response(200, content=response.model_dump_json(), request=request)

    def create_items(self, conversation: str, items: list[dict[str, Any]]) -> Any:
        created = [
            {**item, "id": f"item_{n}", "status": "completed"} for n, item in enumerate(items)
        ]
        self.conversations.setdefault(conversation, []).extend(created)
        body = {
            "object": "list",
            "data": created,
            "first_id": created[0]["id"],
            "last_id": created[-1]["id"],
            "has_more": False,
        }
        return http.Response(200, json=body)


class SetupError(Exception):
    """The first run failed, so the environment is at fault rather than the bug."""


async def first_run(mode: str) -> tuple[Agent[Any], Any, dict[str, Any], Any]:
    """A server-managed run that ends on the tool's output; its agent, result and mode."""
    http_client = http.AsyncClient(transport=http.MockTransport(FakeResponsesAPI()))
    client = AsyncOpenAI(
        base_url="https://example.test/v1",
        api_key="test-key",
        http_client=http_client,
        max_retries=0,
    )
    model = OpenAIResponsesModel(model="gpt-4.1", openai_client=client)
    agent = Agent(
        name="weather", model=model, tools=[lookup], tool_use_behavior="stop_on_first_tool"
    )
    first: dict[str, Any] = (
        {"conversation_id": "conv_1"}
        if mode == "conversation_id"
        else {"auto_previous_response_id": True}
    )
    try:
        result = await Runner.run(agent, "Weather in Paris?", **first)
    except Exception as exc:
        await http_client.aclose()
        raise SetupError(f"{type(exc).__name__}: {exc}") from exc
    if result.final_output != "Sunny in Paris.":
        await http_client.aclose()
        raise SetupError(f"unexpected final output {result.final_output!r}")
    settings = (
        first if mode == "conversation_id" else {"previous_response_id": result.last_response_id}
    )
    return agent, result, settings, http_client


async def next_turn(mode: str) -> str:
    agent, result, settings, http_client = await first_run(mode)
    try:
        second = await Runner.run(agent, "And in Rome?", **settings)
    finally:
        await http_client.aclose()
    return f"finished with {second.final_output!r}"


async def resume_finished_state(mode: str) -> str:
    agent, result, settings, http_client = await first_run(mode)
    try:
        # Serialise and restore the state, as an application would between requests.
        state = await RunState.from_string(agent, result.to_state().to_string())
        resumed = await Runner.run(agent, state, **settings)
    finally:
        await http_client.aclose()
    return f"finished with {resumed.final_output!r}"


async def main() -> int:
    set_tracing_disabled(True)
    failed = []
    for name, turn in (
        ("next turn", next_turn),
        ("resume of the finished state", resume_finished_state),
    ):
        for mode in ("conversation_id", "previous_response_id"):
            try:
                print(f"{name}, {mode}: ok, {await turn(mode)}")
            except SetupError as exc:
                print(f"{name}, {mode}: SETUP FAILED, the first run did not finish: {exc}")
                print("Could not set up the reproduction; this is not the bug.")
                return 2
            except BadRequestError as exc:
                print(f"{name}, {mode}: FAILED, request rejected: {exc}")
                failed.append(f"{name}, {mode}")
    if failed:
        print(f"BUG: the first run's tool output never reached the server ({len(failed)} failed).")
        return 1
    print("OK: every turn after a run that finished on a tool output is accepted.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
