"""A live run must send a fresh tool output that takes the address of an item sent before (#3621).

Before 0.17.7 the tracker recorded what a live run (one not resumed) had sent as id() integers,
without holding the objects. Once such an object is freed, CPython may give its address to a later
object, and a function_call_output allocated there looked already sent: prepare_input() left it
out of the next request, and the API answered 400 "No tool output found for function call".

Whether CPython reuses a given address depends on the allocator's state, so the test does not wait
for it to happen. It replaces id() in the tracker's module with one that follows CPython's rule for
addresses: a fresh output takes the address of a tracked item that has been freed, and never that
of an object still alive. A tracker that keeps its tracked items alive is never handed a reused
address; one that keeps only their id() is, on every interpreter and in any test order.
"""

from __future__ import annotations

import weakref
from typing import Any, cast

import pytest
from openai.types.responses import ResponseFunctionToolCall

from agents import Agent
from agents.items import ItemHelpers, ModelResponse, RunItem, ToolCallItem, ToolCallOutputItem
from agents.run_internal import oai_conversation
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
from agents.usage import Usage

pytestmark = pytest.mark.group("identity")

PROMPT = "Run the thermal, disk and network diagnostics."
CALLS = ("call_THERMAL", "call_DISK", "call_NETWORK")


class _InputCopy(dict):  # type: ignore[type-arg]
    """A copy of an input item that the test can reference weakly, to see when it is freed."""


def test_fresh_output_at_the_address_of_a_freed_sent_item_is_still_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freed: list[int] = []
    copies: list[weakref.ref[_InputCopy]] = []
    given: dict[int, int] = {}
    copy_input = ItemHelpers.input_to_new_input_list

    def weakly_referenced_copies(input: Any) -> Any:
        items = [_InputCopy(item) if isinstance(item, dict) else item for item in copy_input(input)]
        for item in items:
            if isinstance(item, _InputCopy):
                address = id(item)
                copies.append(weakref.ref(item, lambda _, address=address: freed.append(address)))
        return items

    def address(obj: object) -> int:
        return given.get(id(obj), id(obj))

    def allocate(obj: dict[str, Any]) -> dict[str, Any]:
        # As CPython may, give a fresh object the address of an item freed before it.
        if freed:
            given[id(obj)] = freed.pop()
        return obj

    monkeypatch.setattr(oai_conversation, "id", address, raising=False)
    agent = Agent(name="test")
    tracker = OpenAIServerConversationTracker(conversation_id="conv_001")

    # Turn 1: the tracker copies the prompt, sends the copy, and the model answers with calls.
    with monkeypatch.context() as patched:
        patched.setattr(ItemHelpers, "input_to_new_input_list", weakly_referenced_copies)
        first = tracker.prepare_input(PROMPT, [])
    assert first == [{"content": PROMPT, "role": "user"}]
    assert len(copies) == 1
    tracker.mark_input_as_sent(first)
    del first
    calls = [
        ResponseFunctionToolCall(
            id=f"fc_{index}",
            type="function_call",
            call_id=call_id,
            name="run_diagnostic",
            arguments="{}",
            status="completed",
        )
        for index, call_id in enumerate(CALLS)
    ]
    tracker.track_server_items(ModelResponse(output=list(calls), usage=Usage(), response_id="r1"))

    # Turn 2: the three calls ran; their outputs are fresh objects and must all be sent.
    outputs = [
        ToolCallOutputItem(
            agent=agent,
            raw_item=cast(
                Any,
                allocate({"type": "function_call_output", "call_id": call_id, "output": "ok"}),
            ),
            output="ok",
        )
        for call_id in CALLS
    ]
    generated = [*(ToolCallItem(agent=agent, raw_item=call) for call in calls), *outputs]
    second = tracker.prepare_input(PROMPT, cast(list[RunItem], generated))

    sent = [
        item["call_id"]
        for item in second
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert sent == list(CALLS)
