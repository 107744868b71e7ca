"""Hydrated trackers must keep deduplicating what the server has already seen.

These cases pass with and without the fix for unsent tool outputs: they guard against a fix that
simply resends everything after a resume, which the Responses API rejects as duplicate input, and
against one that stops honouring the call ids a caller reports as unsent.
Every item is built before hydration, so no fresh object can reuse an address freed by it (#2798).
"""

from __future__ import annotations

import inspect
from typing import Any, cast

import pytest

from agents import Agent
from agents.items import ModelResponse, RunItem, ToolCallItem
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
from agents.usage import Usage

from hitl_testkit.tracker_items import (
    call_ids_with_output,
    function_call,
    resumed_input,
    tool_output,
    two_turns,
)

pytestmark = pytest.mark.group("guards")


def test_hydrate_from_state_skips_outputs_sent_in_an_earlier_turn() -> None:
    agent = Agent(name="test")
    responses, generated_items = two_turns(agent)
    # The state as from_string() rebuilds it: equal items, none of them the same object.
    _, rebuilt_items = two_turns(agent)
    rebuilt_items.append(tool_output(agent, "call_SECOND", "second done"))
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    prepared = resumed_input(tracker, generated_items, responses, rebuilt_items)

    assert call_ids_with_output(prepared) == ["call_SECOND"]
    assert "call_FIRST" in tracker.server_tool_call_ids


def test_hydrate_from_state_skips_output_items_the_server_put_in_the_latest_response() -> None:
    agent = Agent(name="test")
    local_call = function_call("fc_001", "call_LOCAL", "run_diagnostic")
    server_output: dict[str, Any] = {
        "type": "function_call_output",
        "call_id": "call_HOSTED",
        "output": "answered by the server",
    }
    # Built without validation, like upstream's tracker tests, to carry a raw server output item.
    response = object.__new__(ModelResponse)
    response.output = [
        cast(Any, {"type": "function_call", "call_id": "call_HOSTED", "name": "hosted"}),
        cast(Any, server_output),
        local_call,
    ]
    response.usage = Usage()
    response.response_id = "resp_002"
    generated_items: list[Any] = [
        ToolCallItem(agent=agent, raw_item=local_call),
        tool_output(agent, "call_HOSTED", "answered by the server"),
    ]
    local_output = tool_output(agent, "call_LOCAL", "local done")
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    tracker.hydrate_from_state(
        original_input="hello",
        generated_items=cast(list[RunItem], generated_items),
        model_responses=[response],
    )

    generated_items.append(local_output)
    prepared = tracker.prepare_input("hello", cast(list[RunItem], generated_items))

    assert call_ids_with_output(prepared) == ["call_LOCAL"]
    assert "call_HOSTED" in tracker.server_tool_call_ids


def test_hydrate_from_state_skips_items_with_server_ids_from_the_latest_response() -> None:
    agent = Agent(name="test")
    call = function_call("fc_001", "call_DIAG", "run_diagnostic")
    response = ModelResponse(output=[call], usage=Usage(), response_id="resp_002")
    rebuilt_items = [
        ToolCallItem(agent=agent, raw_item=call.model_copy()),
        tool_output(agent, "call_DIAG", "diagnostic done"),
    ]
    tracker = OpenAIServerConversationTracker(conversation_id="conv_123")
    prepared = resumed_input(
        tracker, [ToolCallItem(agent=agent, raw_item=call)], [response], rebuilt_items
    )

    assert prepared == [
        {"type": "function_call_output", "call_id": "call_DIAG", "output": "diagnostic done"}
    ]
    assert "fc_001" in tracker.server_item_ids


def test_hydrate_from_state_keeps_outputs_the_caller_reports_as_unsent() -> None:
    parameters = inspect.signature(OpenAIServerConversationTracker.hydrate_from_state).parameters
    if "unsent_tool_call_ids" not in parameters:
        pytest.skip("hydrate_from_state() takes unsent_tool_call_ids from 0.14.5 (#3006) on")
    agent = Agent(name="test")
    responses, generated_items = two_turns(agent)
    rebuilt_items = [*generated_items, tool_output(agent, "call_SECOND", "second done")]

    # Passed through a dict, so the file also type-checks against releases before 0.14.5.
    caller_knows: dict[str, Any] = {"unsent_tool_call_ids": {"call_FIRST"}}

    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    prepared = resumed_input(tracker, generated_items, responses, rebuilt_items, **caller_knows)

    # The caller knows better than the latest response here; its word must still count.
    assert "call_FIRST" in call_ids_with_output(prepared)
