"""Resume a server-managed run that finished on a tool's output.

Standalone: needs only ``openai-agents`` installed, makes no network calls and needs no API key.
A strict in-process stand-in for the Responses API answers the real ``AsyncOpenAI`` client.

The agent uses ``tool_use_behavior="stop_on_first_tool"``, so the first run ends on the output of
``lookup`` without another model request. The run's state goes through ``to_string()`` and
``RunState.from_string()`` and is resumed on the same ``conversation_id`` or with
``previous_response_id``. An affected release drops the local ``function_call_output`` from the
resume request and the API answers ``400 No tool output found for function call call_lookup.``

Exit codes: 0 when every mode resumes, 1 when the bug shows, 2 when the first run itself fails.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
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
    """Answers POST /v1/responses like the real API, checking tool outputs in the context."""

    def __init__(self) -> None:
        self.script = [FUNCTION_CALL, MESSAGE]
        self.conversations: dict[str, list[dict[str, Any]]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}

    async def __call__(self, request: Any) -> Any:
        if request.method != "POST" or request.url.path != "/v1/responses":
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
        # Every function call in the context needs exactly one output with its call id.
        calls = Counter(i["call_id"] for i in context if i.get("type") == "function_call")
        outputs = Counter(i["call_id"] for i in context if i.get("type") == "function_call_output")
        for call_id in calls | outputs:
            if outputs[call_id] < calls[call_id]:
                return error(f"No tool output found for function call {call_id}.")
            if outputs[call_id] > calls[call_id]:
                return error(f"Duplicate tool output for function call {call_id}.")
        output = [self.script.pop(0) if len(self.script) > 1 else self.script[0]]
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


class SetupError(Exception):
    """The first run failed, so the environment is at fault rather than the bug."""


async def scenario(mode: str) -> None:
    http_client = http.AsyncClient(transport=http.MockTransport(FakeResponsesAPI()))
    try:
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
        # The first run is server-managed too: on the conversation, or chained by response id.
        first: dict[str, Any] = (
            {"conversation_id": "conv_1"}
            if mode == "conversation_id"
            else {"auto_previous_response_id": True}
        )
        try:
            result = await Runner.run(agent, "Weather in Paris?", **first)
        except Exception as exc:
            raise SetupError(f"{type(exc).__name__}: {exc}") from exc
        if result.final_output != "Sunny in Paris.":
            raise SetupError(f"unexpected final output {result.final_output!r}")

        # Serialise and restore the state, as an application would between requests.
        state = await RunState.from_string(agent, result.to_state().to_string())
        if mode == "conversation_id":
            resumed = await Runner.run(agent, state, conversation_id="conv_1")
        else:
            resumed = await Runner.run(agent, state, previous_response_id=result.last_response_id)
        print(f"{mode}: ok, resumed run finished with {resumed.final_output!r}")
    finally:
        await http_client.aclose()


async def main() -> int:
    set_tracing_disabled(True)
    failed = []
    for mode in ("conversation_id", "previous_response_id"):
        try:
            await scenario(mode)
        except SetupError as exc:
            print(f"{mode}: SETUP FAILED, the first run did not finish: {exc}")
            print("Could not set up the reproduction; this is not the bug.")
            return 2
        except BadRequestError as exc:
            print(f"{mode}: FAILED, resume request rejected: {exc}")
            failed.append(mode)
    if failed:
        print(f"BUG: resuming a run that finished on a tool output fails ({', '.join(failed)}).")
        return 1
    print("OK: resuming a run that finished on a tool output works in every mode.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
