import json
import logging
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI

from agents import (
    Agent,
    OpenAIResponsesModel,
    Runner,
    RunState,
    StopAtTools,
    ToolsToFinalOutputResult,
)
from agents.decorators import tool
from agents.testing import ModelStep, ScriptedModel

from .model_test_helpers import get_response_obj
from .test_responses import get_function_tool_call, get_text_message


@pytest.mark.parametrize("gated_first", [False, True])
@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("serialized", [False, True])
@pytest.mark.parametrize("reject", [False, True])
@pytest.mark.parametrize("behavior", ["stop_at", "first", "custom"])
async def test_resume_preserves_completed_tool_results(
    streamed, serialized, reject, behavior, gated_first
):
    effects = []
    seen = []

    @tool
    def submit_order() -> str:
        effects.append("submit")
        return "order submitted"

    @tool(needs_approval=True)
    def notify_manager() -> str:
        effects.append("notify")
        return "manager notified"

    def finalize(ctx, results):
        seen.extend(result.tool.name for result in results)
        return ToolsToFinalOutputResult(is_final_output=True, final_output=results[0].output)

    calls = [
        get_function_tool_call("submit_order", "{}", call_id="submit"),
        get_function_tool_call("notify_manager", "{}", call_id="notify"),
    ]
    if gated_first:
        calls.reverse()
    model = ScriptedModel(
        [
            ModelStep(output=calls),
        ]
    )
    agent = Agent(
        name="orders",
        model=model,
        tools=[submit_order, notify_manager],
        tool_use_behavior=(
            StopAtTools(stop_at_tool_names=["submit_order"])
            if behavior == "stop_at"
            else "stop_on_first_tool"
            if behavior == "first"
            else finalize
        ),
    )

    async def run(value):
        if streamed:
            result = Runner.run_streamed(agent, value)
            async for _ in result.stream_events():
                pass
            return result
        return await Runner.run(agent, value)

    result = await run("submit an order")
    assert effects == ["submit"]
    state = result.to_state()
    if serialized:
        state = await RunState.from_string(agent, state.to_string())
    for interruption in state.get_interruptions():
        if reject:
            state.reject(interruption, rejection_message="notification rejected")
        else:
            state.approve(interruption)
    result = await run(state)
    expected = "order submitted"
    if gated_first and behavior != "stop_at":
        expected = "notification rejected" if reject else "manager notified"
    assert result.final_output == expected
    assert len(model.calls) == 1
    assert effects == (["submit"] if reject else ["submit", "notify"])
    if behavior == "custom":
        assert seen == (
            ["notify_manager", "submit_order"]
            if gated_first
            else ["submit_order", "notify_manager"]
        )


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("finish", ["first_run", "approved_on_resume", "resumed_after_rejection"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_stop_tool_output_reaches_the_conversation_before_the_next_turn(streamed, finish):
    requests: list[tuple[str, dict[str, Any]]] = []
    lookup_call = get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
    notify_call = get_function_tool_call("notify", "{}", call_id="call_notify")
    calls = [lookup_call, notify_call] if finish == "resumed_after_rejection" else [lookup_call]
    outputs = [calls, [get_text_message("Anything else?")]]

    async def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        requests.append((request.url.path, body))
        if request.url.path.endswith("/items"):
            items = [
                {**item, "id": f"fco_{index}", "status": "completed"}
                for index, item in enumerate(body["items"])
            ]
            return httpx2.Response(
                200,
                json={
                    "object": "list",
                    "data": items,
                    "first_id": items[0]["id"],
                    "last_id": items[-1]["id"],
                    "has_more": False,
                },
            )
        payload = get_response_obj(outputs.pop(0), response_id=f"resp_{len(requests)}")
        if body.get("stream"):
            event = {
                "type": "response.completed",
                "response": payload.model_dump(mode="json"),
                "sequence_number": 0,
            }
            return httpx2.Response(
                200,
                content=f"event: response.completed\ndata: {json.dumps(event)}\n\n",
                headers={"content-type": "text/event-stream"},
            )
        return httpx2.Response(200, content=payload.model_dump_json())

    @tool(needs_approval=finish == "approved_on_resume")
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    @tool(needs_approval=True)
    def notify() -> str:
        return "notified"

    async with AsyncOpenAI(
        api_key="test-key",
        base_url="https://example.test/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    ) as client:
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            tools=[lookup, notify],
            tool_use_behavior=StopAtTools(stop_at_tool_names=["lookup"]),
        )

        async def run(value):
            if streamed:
                result = Runner.run_streamed(agent, value, conversation_id="conv_1")
                async for _ in result.stream_events():
                    pass
                return result
            return await Runner.run(agent, value, conversation_id="conv_1")

        result = await run("Weather in Paris?")
        if finish != "first_run":
            state = result.to_state()
            if finish == "approved_on_resume":
                state.approve(result.interruptions[0])
            else:
                state.reject(result.interruptions[0])
            result = await run(state)
        assert result.final_output == "Sunny in Paris."
        next_turn = await Runner.run(agent, "And in Rome?", conversation_id="conv_1")

    assert next_turn.final_output == "Anything else?"
    assert [path for path, _ in requests] == [
        "/v1/responses",
        "/v1/conversations/conv_1/items",
        "/v1/responses",
    ]
    delivered = {item["call_id"]: item["output"] for item in requests[1][1]["items"]}
    assert len(requests[1][1]["items"]) == len(delivered)
    assert sorted(delivered) == sorted(call.call_id for call in calls)
    assert delivered["call_lookup"] == "Sunny in Paris."
    assert [item.get("type") for item in requests[2][1]["input"]] == [None]


async def test_stop_tool_output_on_a_response_chain_is_named_in_a_warning(caplog):
    model = ScriptedModel(
        [
            ModelStep(
                output=[
                    get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
                ],
                response_id="resp_2",
            )
        ]
    )

    @tool
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    agent = Agent(
        name="weather", model=model, tools=[lookup], tool_use_behavior="stop_on_first_tool"
    )
    with caplog.at_level(logging.WARNING, logger="openai.agents"):
        result = await Runner.run(agent, "Weather in Paris?", previous_response_id="resp_1")

    assert result.final_output == "Sunny in Paris."
    assert len(model.calls) == 1
    assert "call_lookup" in caplog.text


async def test_resuming_a_run_that_ended_on_a_stop_tool_sends_its_output():
    model = ScriptedModel(
        [
            ModelStep(
                output=[
                    get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
                ],
                response_id="resp_2",
            ),
            ModelStep(output=[get_text_message("Anything else?")], response_id="resp_3"),
        ]
    )

    @tool
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    agent = Agent(
        name="weather", model=model, tools=[lookup], tool_use_behavior="stop_on_first_tool"
    )
    result = await Runner.run(agent, "Weather in Paris?", previous_response_id="resp_1")
    state = await RunState.from_string(agent, result.to_state().to_string())
    resumed = await Runner.run(agent, state, previous_response_id=result.last_response_id)

    assert resumed.final_output == "Anything else?"
    assert model.last_call is not None
    assert model.last_call.previous_response_id == "resp_2"
    sent_outputs = [
        (item.get("call_id"), item.get("output"))
        for item in model.last_call.input
        if item.get("type") == "function_call_output"
    ]
    assert sent_outputs == [("call_lookup", "Sunny in Paris.")]
