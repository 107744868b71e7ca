"""Hydrated initial input must not leave stale object ids behind (issue #2798).

The tracker rebuilds the initial input while hydrating from RunState. Those rebuilt objects die
as soon as hydration returns, and CPython hands their addresses to the next objects of the same
kind. If the tracker remembered them by ``id()``, a fresh tool output allocated at a recycled
address would look already sent and be dropped from the next request.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from agents import Agent
from agents.items import ItemHelpers, RunItem, ToolCallOutputItem
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker

MAX_ALLOCATIONS = 10_000


def test_fresh_output_at_an_address_freed_by_hydration_is_still_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hydrated_input_addresses: set[int] = set()
    rebuild_input = ItemHelpers.input_to_new_input_list

    def record_rebuilt_input(input: Any) -> Any:
        rebuilt = rebuild_input(input)
        # Keep only the addresses so the rebuilt objects are freed when hydration returns.
        hydrated_input_addresses.update(id(item) for item in rebuilt)
        return rebuilt

    original_input = [
        {"role": "user", "content": "Run the thermal diagnostic."},
        {"role": "user", "content": "Then clean up temp_files."},
    ]
    tracker = OpenAIServerConversationTracker(previous_response_id="resp_001")
    with monkeypatch.context() as patched:
        patched.setattr(ItemHelpers, "input_to_new_input_list", record_rebuilt_input)
        tracker.hydrate_from_state(
            original_input=cast(Any, original_input),
            generated_items=[],
            model_responses=[],
        )
    assert hydrated_input_addresses

    # Allocate outputs, keeping each alive, until one lands on an address hydration freed.
    candidates: list[dict[str, Any]] = []
    for index in range(MAX_ALLOCATIONS):
        candidate = {
            "type": "function_call_output",
            "call_id": f"call_{index}",
            "output": "Diagnostic 'thermal' completed.",
        }
        candidates.append(candidate)
        if id(candidate) in hydrated_input_addresses:
            break
    else:
        pytest.fail("could not make CPython reuse an address freed by hydration")

    recycled_output = ToolCallOutputItem(
        agent=Agent(name="test"), raw_item=cast(Any, candidates[-1]), output="ok"
    )
    prepared = tracker.prepare_input(
        cast(Any, original_input), cast(list[RunItem], [recycled_output])
    )

    assert prepared == [candidates[-1]]
