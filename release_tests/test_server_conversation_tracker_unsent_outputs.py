"""Resumed server-managed runs must send tool outputs produced after the latest response.

When the model issues parallel calls and only some of them need approval, the others run before
the run is interrupted. Their outputs exist only locally until the run is resumed, so hydrating a
tracker from that state must not treat them as already delivered to the server.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from agents import Agent
from agents.items import (
    HandoffCallItem,
    HandoffOutputItem,
    ModelResponse,
    RunItem,
    ToolApprovalItem,
    ToolCallItem,
)
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
from agents.usage import Usage

from hitl_testkit.tracker_items import call_ids_with_output, function_call, tool_output

pytestmark = pytest.mark.group("tracker")

PROMPT = "Please clean up temp_files, run thermal diagnostic, and clean up winsxs_cache."
DIAGNOSTIC_OUTPUT = "Diagnostic 'thermal' completed. CPU: 23%, Temp: 72C."


def _mixed_parallel_batch() -> tuple[Agent[Any], list[Any], ModelResponse]:
    agent = Agent(name="test")
    calls = [
        function_call("fc_001", "call_CLEANUP1", "run_cleanup", '{"target": "temp_files"}'),
        function_call("fc_002", "call_DIAG", "run_diagnostic", '{"check_name": "thermal"}'),
        function_call("fc_003", "call_CLEANUP2", "run_cleanup", '{"target": "winsxs_cache"}'),
    ]
    response = ModelResponse(output=list(calls), usage=Usage(), response_id="resp_002")
    return agent, calls, response


def _hydrate(
    tracker: OpenAIServerConversationTracker,
    generated_items: list[Any],
    model_responses: list[ModelResponse],
) -> None:
    tracker.hydrate_from_state(
        original_input=PROMPT,
        generated_items=cast(list[RunItem], generated_items),
        model_responses=model_responses,
    )


def test_hydrate_from_state_keeps_outputs_of_tools_that_ran_before_an_interruption() -> None:
    agent, (cleanup1, diagnostic, cleanup2), response = _mixed_parallel_batch()
    interrupted_items = [
        ToolCallItem(agent=agent, raw_item=cleanup1),
        ToolCallItem(agent=agent, raw_item=diagnostic),
        ToolCallItem(agent=agent, raw_item=cleanup2),
        tool_output(agent, "call_DIAG", DIAGNOSTIC_OUTPUT),
        ToolApprovalItem(agent=agent, raw_item=cleanup1, tool_name="run_cleanup"),
        ToolApprovalItem(agent=agent, raw_item=cleanup2, tool_name="run_cleanup"),
    ]
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    _hydrate(tracker, interrupted_items, [response])

    resolved_items = [
        ToolCallItem(agent=agent, raw_item=cleanup1),
        ToolCallItem(agent=agent, raw_item=diagnostic),
        ToolCallItem(agent=agent, raw_item=cleanup2),
        tool_output(agent, "call_DIAG", DIAGNOSTIC_OUTPUT),
        tool_output(agent, "call_CLEANUP1", "Tool call not approved."),
        tool_output(agent, "call_CLEANUP2", "Tool call not approved."),
    ]
    prepared = tracker.prepare_input(PROMPT, cast(list[RunItem], resolved_items))

    assert "call_DIAG" not in tracker.server_tool_call_ids
    assert tracker.previous_response_id == "resp_002"
    assert sorted(call_ids_with_output(prepared)) == [
        "call_CLEANUP1",
        "call_CLEANUP2",
        "call_DIAG",
    ]
    assert {
        "type": "function_call_output",
        "call_id": "call_DIAG",
        "output": DIAGNOSTIC_OUTPUT,
    } in (prepared)


def test_hydrate_from_state_keeps_restored_outputs_that_answer_the_latest_response() -> None:
    # The same output object is passed to hydration and to prepare_input, as a resumed runner
    # does when it reuses the restored generated items, so identity must not hide it either.
    agent, (cleanup1, diagnostic, cleanup2), response = _mixed_parallel_batch()
    diagnostic_output = tool_output(agent, "call_DIAG", DIAGNOSTIC_OUTPUT)
    generated_items: list[Any] = [
        ToolCallItem(agent=agent, raw_item=cleanup1),
        ToolCallItem(agent=agent, raw_item=diagnostic),
        ToolCallItem(agent=agent, raw_item=cleanup2),
        diagnostic_output,
    ]
    tracker = OpenAIServerConversationTracker(conversation_id="conv_123")
    _hydrate(tracker, generated_items, [response])

    generated_items += [
        tool_output(agent, "call_CLEANUP1", "Cleaned up temp_files"),
        tool_output(agent, "call_CLEANUP2", "Cleaned up winsxs_cache"),
    ]
    prepared = tracker.prepare_input(PROMPT, cast(list[RunItem], generated_items))

    assert sorted(call_ids_with_output(prepared)) == [
        "call_CLEANUP1",
        "call_CLEANUP2",
        "call_DIAG",
    ]


def test_hydrate_from_state_does_not_fingerprint_unsent_outputs_as_delivered() -> None:
    # Restored state rebuilds every object, so only content fingerprints could still match.
    agent, (_, diagnostic, _), _ = _mixed_parallel_batch()
    response = ModelResponse(output=[diagnostic], usage=Usage(), response_id="resp_002")
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    _hydrate(
        tracker,
        [
            ToolCallItem(agent=agent, raw_item=diagnostic),
            tool_output(agent, "call_DIAG", DIAGNOSTIC_OUTPUT),
        ],
        [response],
    )

    rebuilt_items = [
        ToolCallItem(agent=agent, raw_item=diagnostic.model_copy()),
        tool_output(agent, "call_DIAG", DIAGNOSTIC_OUTPUT),
    ]
    prepared = tracker.prepare_input(PROMPT, cast(list[RunItem], rebuilt_items))

    assert call_ids_with_output(prepared) == ["call_DIAG"]


def test_hydrate_from_state_keeps_handoff_output_for_a_call_in_the_latest_response() -> None:
    agent, (cleanup1, _, _), _ = _mixed_parallel_batch()
    specialist = Agent(name="specialist")
    handoff_call = function_call("fc_010", "call_HANDOFF", "transfer_to_specialist", "{}")
    response = ModelResponse(output=[cleanup1, handoff_call], usage=Usage(), response_id="resp_002")
    handoff_output = HandoffOutputItem(
        agent=agent,
        raw_item={
            "type": "function_call_output",
            "call_id": "call_HANDOFF",
            "output": '{"assistant": "specialist"}',
        },
        source_agent=agent,
        target_agent=specialist,
    )
    generated_items: list[Any] = [
        ToolCallItem(agent=agent, raw_item=cleanup1),
        HandoffCallItem(agent=agent, raw_item=handoff_call),
        handoff_output,
        ToolApprovalItem(agent=agent, raw_item=cleanup1, tool_name="run_cleanup"),
    ]
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_002")
    _hydrate(tracker, generated_items, [response])

    resolved_items = generated_items[:3] + [
        tool_output(agent, "call_CLEANUP1", "Tool call not approved.")
    ]
    prepared = tracker.prepare_input(PROMPT, cast(list[RunItem], resolved_items))

    assert sorted(call_ids_with_output(prepared)) == ["call_CLEANUP1", "call_HANDOFF"]
