import json
import logging
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from agents import (
    Agent,
    ModelSettings,
    OpenAIResponsesModel,
    RunItemStreamEvent,
    Runner,
    RunState,
    StopAtTools,
    ToolCallOutputItem,
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


def _create_recording_server(
    outputs: list[list[Any]], *, items_status: int = 200
) -> tuple[AsyncOpenAI, list[httpx.Request], httpx.AsyncClient]:
    """Answer the Responses API from `outputs` and the Conversations API's "Create items"."""
    requests: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        body = json.loads(request.content)
        if request.url.path.endswith("/items"):
            if items_status != 200:
                error = {"message": "unavailable", "type": "server_error", "param": None}
                return httpx.Response(items_status, json={"error": error}, request=request)
            items = [
                {**item, "id": f"item_{index}", "status": "completed"}
                for index, item in enumerate(body["items"])
            ]
            listing = {
                "object": "list",
                "data": items,
                "first_id": items[0]["id"],
                "last_id": items[-1]["id"],
                "has_more": False,
            }
            return httpx.Response(200, json=listing, request=request)
        payload = get_response_obj(outputs.pop(0), response_id=f"resp_{len(requests)}")
        if body.get("stream"):
            event = {
                "type": "response.completed",
                "response": payload.model_dump(mode="json"),
                "sequence_number": 0,
            }
            return httpx.Response(
                200,
                content=f"event: response.completed\ndata: {json.dumps(event)}\n\n",
                headers={"content-type": "text/event-stream"},
                request=request,
            )
        return httpx.Response(
            200,
            content=payload.model_dump_json(),
            headers={"content-type": "application/json"},
            request=request,
        )

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncOpenAI(
        api_key="test-key", base_url="https://example.test/v1", http_client=http_client
    )
    return client, requests, http_client


async def _run(agent: Agent[Any], value: Any, streamed: bool, **kwargs: Any) -> Any:
    if streamed:
        result = Runner.run_streamed(agent, value, **kwargs)
        async for _ in result.stream_events():
            pass
        return result
    return await Runner.run(agent, value, **kwargs)


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("finish", ["first_run", "approved_on_resume", "resumed_after_rejection"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_stop_tool_output_reaches_the_conversation_before_the_next_turn(streamed, finish):
    lookup_call = get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
    notify_call = get_function_tool_call("notify", "{}", call_id="call_notify")
    calls = [lookup_call, notify_call] if finish == "resumed_after_rejection" else [lookup_call]
    client, requests, http_client = _create_recording_server(
        [calls, [get_text_message("Anything else?")]]
    )

    @tool(needs_approval=finish == "approved_on_resume")
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    @tool(needs_approval=True)
    def notify() -> str:
        return "notified"

    try:
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            model_settings=ModelSettings(
                extra_headers={"x-team": "weather"}, extra_query={"region": "eu"}
            ),
            tools=[lookup, notify],
            tool_use_behavior=StopAtTools(stop_at_tool_names=["lookup"]),
        )
        result = await _run(agent, "Weather in Paris?", streamed, conversation_id="conv_1")
        if finish != "first_run":
            state = result.to_state()
            if finish == "approved_on_resume":
                state.approve(result.interruptions[0])
            else:
                state.reject(result.interruptions[0], rejection_message="Not now.")
            result = await _run(agent, state, streamed)
        assert result.final_output == "Sunny in Paris."
        next_turn = await Runner.run(agent, "And in Rome?", conversation_id="conv_1")
    finally:
        await http_client.aclose()

    assert next_turn.final_output == "Anything else?"
    assert [request.url.path for request in requests] == [
        "/v1/responses",
        "/v1/conversations/conv_1/items",
        "/v1/responses",
    ]
    delivery = requests[1]
    assert delivery.headers["x-team"] == "weather"
    assert delivery.headers["user-agent"] == requests[0].headers["user-agent"]
    assert delivery.url.params["region"] == "eu"
    delivered = {item["call_id"]: item["output"] for item in json.loads(delivery.content)["items"]}
    assert delivered == (
        {"call_lookup": "Sunny in Paris.", "call_notify": "Not now."}
        if finish == "resumed_after_rejection"
        else {"call_lookup": "Sunny in Paris."}
    )
    assert json.loads(requests[2].content)["input"] == [{"content": "And in Rome?", "role": "user"}]


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("finish", ["first_run", "approved_on_resume"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_failed_delivery_keeps_the_finished_run_and_names_its_call_ids(
    streamed, finish, caplog
):
    lookup_call = get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
    client, requests, http_client = _create_recording_server([[lookup_call]], items_status=500)
    events: list[str] = []

    @tool(needs_approval=finish == "approved_on_resume")
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    try:
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            tools=[lookup],
            tool_use_behavior="stop_on_first_tool",
        )
        value: Any = "Weather in Paris?"
        if finish == "approved_on_resume":
            first = await Runner.run(agent, value, conversation_id="conv_1")
            value = first.to_state()
            value.approve(first.interruptions[0])
        with caplog.at_level(logging.WARNING, logger="openai.agents"):
            if streamed:
                result = Runner.run_streamed(agent, value, conversation_id="conv_1")
                async for event in result.stream_events():
                    if isinstance(event, RunItemStreamEvent):
                        events.append(event.name)
            else:
                result = await Runner.run(agent, value, conversation_id="conv_1")
    finally:
        await http_client.aclose()

    assert result.final_output == "Sunny in Paris."
    assert [request.url.path for request in requests] == [
        "/v1/responses",
        "/v1/conversations/conv_1/items",
    ]
    assert "call_lookup" in caplog.text
    if streamed:
        assert result.is_complete
        assert events[-1] == "tool_output"


@pytest.mark.allow_call_model_methods
async def test_caller_carrying_the_stop_tool_output_sends_it_as_the_release_did():
    lookup_call = get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
    client, requests, http_client = _create_recording_server(
        [[lookup_call], [get_text_message("Anything else?")]]
    )

    @tool
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    try:
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            tools=[lookup],
            tool_use_behavior="stop_on_first_tool",
        )
        result = await Runner.run(agent, "Weather in Paris?", conversation_id="conv_1")
        carried = [
            item.to_input_item()
            for item in result.new_items
            if isinstance(item, ToolCallOutputItem)
        ]
        next_turn = await Runner.run(
            agent,
            [*carried, {"role": "user", "content": "And in Rome?"}],
            conversation_id="conv_1",
        )
    finally:
        await http_client.aclose()

    assert next_turn.final_output == "Anything else?"
    assert [request.url.path for request in requests] == [
        "/v1/responses",
        "/v1/conversations/conv_1/items",
        "/v1/responses",
    ]
    assert carried == [
        {"call_id": "call_lookup", "output": "Sunny in Paris.", "type": "function_call_output"}
    ]
    assert json.loads(requests[2].content)["input"][0] == carried[0]


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("chain", ["previous_response_id", "auto_previous_response_id"])
async def test_stop_tool_output_on_a_response_chain_is_named_in_a_warning(chain, caplog):
    lookup_call = get_function_tool_call("lookup", '{"city": "Paris"}', call_id="call_lookup")
    client, requests, http_client = _create_recording_server([[lookup_call]])

    @tool
    def lookup(city: str) -> str:
        return f"Sunny in {city}."

    chaining: dict[str, Any] = (
        {"previous_response_id": "resp_0"}
        if chain == "previous_response_id"
        else {"auto_previous_response_id": True}
    )
    try:
        agent = Agent(
            name="weather",
            model=OpenAIResponsesModel(model="gpt-4.1", openai_client=client),
            tools=[lookup],
            tool_use_behavior="stop_on_first_tool",
        )
        with caplog.at_level(logging.WARNING, logger="openai.agents"):
            result = await Runner.run(agent, "Weather in Paris?", **chaining)
    finally:
        await http_client.aclose()

    assert result.final_output == "Sunny in Paris."
    assert [request.url.path for request in requests] == ["/v1/responses"]
    assert "call_lookup" in caplog.text
