"""The items the tracker tests hand to OpenAIServerConversationTracker, built as the runner
builds them: function calls as the model returns them, local outputs as the SDK records them,
the two-turn history in which the first turn's output was already sent, and the input a hydrated
tracker prepares on resume."""

from __future__ import annotations

from typing import Any

from openai.types.responses import ResponseFunctionToolCall

from agents import Agent
from agents.items import ModelResponse, ToolCallItem, ToolCallOutputItem
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
from agents.usage import Usage


def function_call(item_id: str, call_id: str, name: str, arguments: str = "{}") -> Any:
    return ResponseFunctionToolCall(
        id=item_id,
        type="function_call",
        call_id=call_id,
        name=name,
        arguments=arguments,
        status="completed",
    )


def tool_output(agent: Agent[Any], call_id: str, output: str) -> ToolCallOutputItem:
    return ToolCallOutputItem(
        agent=agent,
        raw_item={"type": "function_call_output", "call_id": call_id, "output": output},
        output=output,
    )


def call_ids_with_output(items: list[Any]) -> list[str]:
    """The call id of every function_call_output among prepared input items, in order."""
    return [
        item["call_id"]
        for item in items
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]


def two_turns(agent: Agent[Any]) -> tuple[list[ModelResponse], list[Any]]:
    """Responses and generated items of a run whose first turn's call was answered and sent with
    the second request, and whose second turn's call is still unanswered."""
    first_call = function_call("fc_001", "call_FIRST", "run_diagnostic")
    second_call = function_call("fc_002", "call_SECOND", "run_cleanup")
    responses = [
        ModelResponse(output=[first_call], usage=Usage(), response_id="resp_001"),
        ModelResponse(output=[second_call], usage=Usage(), response_id="resp_002"),
    ]
    generated_items: list[Any] = [
        ToolCallItem(agent=agent, raw_item=first_call),
        tool_output(agent, "call_FIRST", "first done"),
        ToolCallItem(agent=agent, raw_item=second_call),
    ]
    return responses, generated_items


def resumed_input(
    tracker: OpenAIServerConversationTracker,
    saved_items: list[Any],
    responses: list[ModelResponse],
    items: list[Any],
    **hydrate_options: Any,
) -> list[Any]:
    """The input the tracker prepares on resume: hydrated from a saved run's generated items and
    model responses, then given the items of the resumed run, with the original input "hello"."""
    tracker.hydrate_from_state(
        original_input="hello",
        generated_items=saved_items,
        model_responses=responses,
        **hydrate_options,
    )
    return tracker.prepare_input("hello", items)
