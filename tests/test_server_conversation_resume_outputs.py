"""Resuming a saved run on a server-managed conversation sends every local tool output once.

A run can be saved while a tool output it built locally has not reached the server yet: the run
finished on that output (`tool_use_behavior`), or it was interrupted next to it. Resuming such a
state must send the output with the next request, exactly once, or the Responses API answers
`400 No tool output found for function call <call_id>`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI
from openai.types.responses import ResponseFunctionToolCall

from agents import (
    Agent,
    FunctionToolResult,
    OpenAIResponsesModel,
    RunContextWrapper,
    Runner,
    RunState,
    StopAtTools,
    ToolsToFinalOutputResult,
    function_tool,
)
from agents.items import ModelResponse, RunItem, ToolCallItem, ToolCallOutputItem
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage

from .model_test_helpers import get_response_obj
from .utils.hitl import consume_stream


@function_tool
def lookup_weather(city: str) -> str:
    return f"Sunny in {city}."


def _final_output_from_first_tool(
    context: RunContextWrapper[Any], results: list[FunctionToolResult]
) -> ToolsToFinalOutputResult:
    return ToolsToFinalOutputResult(is_final_output=True, final_output=results[0].output)


FINISHING_TOOL_USE_BEHAVIORS: dict[str, Any] = {
    "stop_on_first_tool": "stop_on_first_tool",
    "stop_at_tools": StopAtTools(stop_at_tool_names=["lookup_weather"]),
    "tools_to_final_output_function": _final_output_from_first_tool,
}


def _mode_kwargs(mode: str, last_response_id: str | None) -> dict[str, Any]:
    if mode == "conversation_id":
        return {"conversation_id": "conv_weather"}
    if mode == "previous_response_id" and last_response_id is not None:
        return {"previous_response_id": last_response_id}
    return {"auto_previous_response_id": True}


async def _run(agent: Agent[Any], run_input: Any, *, streamed: bool, **kwargs: Any) -> Any:
    if streamed:
        result = Runner.run_streamed(agent, run_input, **kwargs)
        await consume_stream(result)
        return result
    return await Runner.run(agent, run_input, **kwargs)


def _tool_outputs(model_input: Any) -> list[tuple[str, str]]:
    return [
        (item["call_id"], item["output"])
        for item in model_input
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("serialized", [False, True], ids=["in_memory", "to_string"])
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("behavior", FINISHING_TOOL_USE_BEHAVIORS)
@pytest.mark.parametrize(
    "mode", ["conversation_id", "previous_response_id", "auto_previous_response_id"]
)
async def test_resuming_a_run_that_finished_on_a_tool_output_sends_that_output(
    mode: str, behavior: str, streamed: bool, serialized: bool
) -> None:
    model = ScriptedModel(
        [
            ModelStep(
                output=[function_call("lookup_weather", {"city": "Paris"}, call_id="call_w")],
                response_id="resp_1",
            ),
            ModelStep(output=[assistant_message("Anything else?")], response_id="resp_2"),
        ]
    )
    agent = Agent(
        name="weather",
        model=model,
        tools=[lookup_weather],
        tool_use_behavior=FINISHING_TOOL_USE_BEHAVIORS[behavior],
    )

    first = await _run(agent, "Weather in Paris?", streamed=streamed, **_mode_kwargs(mode, None))
    assert first.final_output == "Sunny in Paris."
    assert len(model.calls) == 1

    state = first.to_state()
    if serialized:
        state = await RunState.from_string(agent, state.to_string())
    resumed = await _run(
        agent, state, streamed=streamed, **_mode_kwargs(mode, first.last_response_id)
    )

    assert resumed.final_output == "Anything else?"
    resume_call = model.calls[-1]
    assert (resume_call.conversation_id, resume_call.previous_response_id) == (
        ("conv_weather", None) if mode == "conversation_id" else (None, "resp_1")
    )
    assert _tool_outputs(resume_call.input) == [("call_w", "Sunny in Paris.")]
    model.assert_complete()


class StrictResponsesAPI:
    """An in-process Responses API double for the wire-level test below.

    It keeps each conversation's and each response's items, and answers like the API does when
    a function call in the context has no output (or more outputs than calls). The boundary is
    the HTTP request the real `AsyncOpenAI` client sends; streaming is not served.
    """

    def __init__(self, outputs: list[list[Any]]) -> None:
        self.outputs = outputs
        self.contexts: dict[str, list[dict[str, Any]]] = {}
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        key = body.get("conversation") or body.get("previous_response_id")
        new_items = body["input"]
        if isinstance(new_items, str):
            new_items = [{"role": "user", "content": new_items}]
        context = [*self.contexts.get(key, []), *new_items]
        calls = Counter(i["call_id"] for i in context if i.get("type") == "function_call")
        outputs = Counter(i["call_id"] for i in context if i.get("type") == "function_call_output")
        for call_id in calls | outputs:
            if outputs[call_id] != calls[call_id]:
                problem = "No tool output found" if outputs[call_id] < calls[call_id] else "Extra"
                error = {
                    "message": f"{problem} for function call {call_id}.",
                    "type": "invalid_request_error",
                    "param": "input",
                    "code": None,
                }
                return httpx2.Response(400, json={"error": error}, request=request)
        response = get_response_obj(self.outputs.pop(0), response_id=f"resp_{len(self.bodies)}")
        context += [item.model_dump(exclude_none=True) for item in response.output]
        self.contexts[response.id] = context
        if body.get("conversation"):
            self.contexts[body["conversation"]] = context
        return httpx2.Response(
            200,
            content=response.model_dump_json(),
            headers={"content-type": "application/json"},
            request=request,
        )


@pytest.mark.allow_call_model_methods
@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["conversation_id", "previous_response_id"])
async def test_resuming_a_finished_run_over_the_wire_is_accepted_by_a_strict_responses_api(
    mode: str,
) -> None:
    api = StrictResponsesAPI(
        [
            [function_call("lookup_weather", {"city": "Paris"}, call_id="call_w")],
            [assistant_message("Anything else?")],
        ]
    )
    http_client = httpx2.AsyncClient(transport=httpx2.MockTransport(api))
    try:
        client = AsyncOpenAI(
            api_key="test-key", base_url="https://example.test/v1", http_client=http_client
        )
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            tools=[lookup_weather],
            tool_use_behavior="stop_on_first_tool",
        )
        first = await Runner.run(agent, "Weather in Paris?", **_mode_kwargs(mode, None))
        state = await RunState.from_string(agent, first.to_state().to_string())
        resumed = await Runner.run(agent, state, **_mode_kwargs(mode, first.last_response_id))
    finally:
        await http_client.aclose()

    assert resumed.final_output == "Anything else?"
    assert _tool_outputs(api.bodies[-1]["input"]) == [("call_w", "Sunny in Paris.")]


def test_hydrate_from_state_sends_one_output_for_a_call_id_the_latest_response_reuses() -> None:
    """Outputs are keyed by call id, as the server keys them.

    When the latest response reuses the call id of an earlier, already answered call for the
    same invocation, the runner does not run the tool again, so the earlier output is the only
    answer the new call can get: it is sent once more. An output whose call id the latest
    response does not carry stays deduplicated.
    """
    agent = Agent(name="weather")

    def call(call_id: str, item_id: str) -> ResponseFunctionToolCall:
        return ResponseFunctionToolCall(
            id=item_id,
            type="function_call",
            call_id=call_id,
            name="lookup_weather",
            arguments='{"city": "Paris"}',
            status="completed",
        )

    def output(call_id: str) -> ToolCallOutputItem:
        raw_item = {"type": "function_call_output", "call_id": call_id, "output": "Sunny."}
        return ToolCallOutputItem(agent=agent, raw_item=raw_item, output="Sunny.")

    first_calls = [call("call_earlier", "fc_1"), call("call_reused", "fc_2")]
    latest_calls = [call("call_reused", "fc_3"), call("call_new", "fc_4")]
    generated_items: list[RunItem] = [
        *(ToolCallItem(agent=agent, raw_item=item) for item in first_calls),
        output("call_earlier"),
        output("call_reused"),
        *(ToolCallItem(agent=agent, raw_item=item) for item in latest_calls),
        output("call_new"),
    ]
    tracker = OpenAIServerConversationTracker(conversation_id="conv_weather")
    tracker.hydrate_from_state(
        original_input="Weather in Paris?",
        generated_items=generated_items,
        model_responses=[
            ModelResponse(output=list(first_calls), usage=Usage(), response_id="resp_1"),
            ModelResponse(output=list(latest_calls), usage=Usage(), response_id="resp_2"),
        ],
    )

    prepared = tracker.prepare_input("Weather in Paris?", generated_items)

    assert _tool_outputs(prepared) == [("call_reused", "Sunny."), ("call_new", "Sunny.")]
