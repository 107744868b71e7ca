"""What works on a release keeps working with its patches, around a run that ends on a tool output.

The next-turn fix adds a request at the end of such a run on ``conversation_id``. Whatever a
release's patches do there, a caller who used the release as published must see no difference but
the fix itself:

- the finished run stands when that request fails: ``Runner.run`` returns the final output,
  ``Runner.run_streamed`` completes with it after streaming the tool's events, a request that may
  have advanced the conversation is not sent again, and a warning names the call ids the next
  turn has to carry;
- the request carries the headers and query extras the model's own requests carry;
- a model with no server-managed conversation state (a custom ``Model``, Chat Completions) sends
  nothing more and warns of nothing;
- ``OpenAIConversationsSession`` continues after such a run.

On a release without the fix's next-turn patches no such request exists, and each test holds as it
does on the release. This file is the group ``compat`` of patches/manifest, which never fails.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from openai import AsyncOpenAI, DefaultAsyncHttpxClient
from openai.types.responses import ResponseFunctionToolCall

from agents import (
    Agent,
    Model,
    ModelResponse,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIConversationsSession,
    Runner,
    Usage,
    function_tool,
)

from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.finished_turn import LOOKED_UP, LOOKUP
from hitl_testkit.hitl_producers import Script, run_agent, scripted_agent, scripted_server
from hitl_testkit.wire import message, openai_client

pytestmark = [pytest.mark.group("compat"), pytest.mark.allow_call_model_methods]


def lookup_tool(needs_approval: bool = False) -> Any:
    @function_tool(needs_approval=needs_approval)
    def lookup_order(order_id: str) -> str:
        return f"Order {order_id} shipped."

    return lookup_order


def delivery_requests(api: StrictResponsesAPI) -> list[Any]:
    return [request for request in api.received if request.url.path.endswith("/items")]


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("finish", ["first-run", "approved-on-resume"])
async def test_failed_delivery_leaves_the_finished_run_as_it_was(
    finish: str, streamed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script()
    api = StrictResponsesAPI(script=script)
    # The client's own retries are on: a request that may have advanced the conversation must
    # still be sent once.
    async with openai_client(api, max_retries=2) as client:
        agent = scripted_agent(
            "support",
            client,
            tools=[lookup_tool(needs_approval=finish == "approved-on-resume")],
            tool_use_behavior="stop_on_first_tool",
        )
        script.add("support", [LOOKUP])
        value: Any = "Where is order_1?"
        if finish == "approved-on-resume":
            first = await Runner.run(agent, value, conversation_id="conv_support")
            value = first.to_state()
            value.approve(first.interruptions[0])
        api.conversation_items_status = 500
        events: list[str] = []
        with caplog.at_level(logging.WARNING, logger="openai.agents"):
            result = await run_agent(
                agent, value, streamed=streamed, item_events=events, conversation_id="conv_support"
            )

    assert result.final_output == LOOKED_UP
    assert len(delivery_requests(api)) <= 1
    if delivery_requests(api):
        assert "call_LOOKUP" in caplog.text
    if streamed:
        assert result.is_complete
        assert "tool_output" in events


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_delivery_carries_the_headers_and_query_of_the_model_requests(
    streamed: bool,
) -> None:
    async with scripted_server() as (script, api, client):
        agent = scripted_agent(
            "support",
            client,
            tools=[lookup_tool()],
            tool_use_behavior="stop_on_first_tool",
            model_settings=ModelSettings(
                extra_headers={"x-team": "support"}, extra_query={"region": "eu"}
            ),
        )
        script.add("support", [LOOKUP])
        result = await run_agent(
            agent, "Where is order_1?", streamed=streamed, conversation_id="conv_support"
        )

    assert result.final_output == LOOKED_UP
    model_request = api.received[0]
    for request in api.received:
        assert request.headers["x-team"] == "support"
        assert request.url.params["region"] == "eu"
        assert request.headers["user-agent"] == model_request.headers["user-agent"]


class LookupModel(Model):
    """A custom model: it answers every request with the lookup call."""

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        call = ResponseFunctionToolCall(**{**LOOKUP, "id": "fc_LOOKUP", "status": "completed"})
        return ModelResponse(output=[call], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def chat_completions_model(requests: list[Any]) -> tuple[OpenAIChatCompletionsModel, Any]:
    """The Chat Completions model on a client whose transport answers with the lookup call."""
    http = DefaultAsyncHttpxClient.__mro__[1].__module__.partition(".")[0]
    httpx = __import__(http)

    async def handler(request: Any) -> Any:
        requests.append(request)
        tool_call = {
            "id": LOOKUP["call_id"],
            "type": "function",
            "function": {"name": LOOKUP["name"], "arguments": LOOKUP["arguments"]},
        }
        completion = {
            "id": "chatcmpl_1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4.1-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [tool_call]},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return httpx.Response(200, json=completion, request=request)

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncOpenAI(
        api_key="test", base_url="https://example.test/v1", http_client=http_client, max_retries=0
    )
    return OpenAIChatCompletionsModel(model="gpt-4.1-mini", openai_client=client), http_client


@pytest.mark.parametrize("kind", ["custom-model", "chat-completions"])
async def test_models_without_conversation_state_send_and_warn_of_nothing_more(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    requests: list[Any] = []
    http_client = None
    if kind == "custom-model":
        model: Model = LookupModel()
    else:
        model, http_client = chat_completions_model(requests)
    agent = Agent(
        name="support", model=model, tools=[lookup_tool()], tool_use_behavior="stop_on_first_tool"
    )
    try:
        with caplog.at_level(logging.WARNING, logger="openai.agents"):
            result = await Runner.run(agent, "Where is order_1?", conversation_id="conv_support")
    finally:
        if http_client is not None:
            await http_client.aclose()

    assert result.final_output == LOOKED_UP
    assert [request.url.path for request in requests] == (
        [] if kind == "custom-model" else ["/v1/chat/completions"]
    )
    assert "call_LOOKUP" not in caplog.text


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_conversations_session_continues_after_a_run_that_ended_on_a_tool_output(
    streamed: bool,
) -> None:
    async with scripted_server() as (script, api, client):
        session = OpenAIConversationsSession(conversation_id="conv_session", openai_client=client)
        agent = scripted_agent(
            "support", client, tools=[lookup_tool()], tool_use_behavior="stop_on_first_tool"
        )
        script.add("support", [LOOKUP], [message("Anything else?")])
        first = await run_agent(agent, "Where is order_1?", streamed=streamed, session=session)
        second = await run_agent(agent, "Thanks. And order_2?", streamed=streamed, session=session)

    assert first.final_output == LOOKED_UP
    assert second.final_output == "Anything else?"
    assert api.rejections == []
    replayed = [item for item in api.accepted[-1]["input"] if item.get("call_id") == "call_LOOKUP"]
    assert [item["type"] for item in replayed] == ["function_call", "function_call_output"]
