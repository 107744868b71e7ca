"""Hydrated initial input must not leave stale object ids behind (issue #2798).

The tracker rebuilds the initial input while hydrating from RunState. Those rebuilt objects die
as soon as hydration returns, and CPython hands their addresses to later objects. If the tracker
remembered them by ``id()``, a fresh tool output allocated at a recycled address would look
already sent and be dropped from the next request.

Whether CPython reuses a given address depends on the allocator's state, so the test does not wait
for it to happen. It keeps one rebuilt object alive and turns it into the fresh output instead:
the output then has exactly the identity a recycled address would give it, on every interpreter
and in any test order.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from agents import Agent
from agents.items import ItemHelpers, RunItem, ToolCallOutputItem
from agents.run_internal.oai_conversation import OpenAIServerConversationTracker

pytestmark = pytest.mark.group("stale-input-ids")


def test_fresh_output_with_the_identity_of_a_hydrated_input_item_is_still_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebuilt_input: list[Any] = []
    rebuild_input = ItemHelpers.input_to_new_input_list

    def record_rebuilt_input(input: Any) -> Any:
        rebuilt = rebuild_input(input)
        rebuilt_input.extend(rebuilt)
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
    rebuilt_dicts = [item for item in rebuilt_input if isinstance(item, dict)]
    assert len(rebuilt_dicts) == len(original_input)
    assert not any(item is source for item in rebuilt_dicts for source in original_input)

    # Reuse the rebuilt object's identity for a new tool output, as a recycled address would.
    fresh_output = rebuilt_dicts[-1]
    fresh_output.clear()
    fresh_output.update(
        {
            "type": "function_call_output",
            "call_id": "call_DIAG",
            "output": "Diagnostic 'thermal' completed.",
        }
    )
    output_item = ToolCallOutputItem(
        agent=Agent(name="test"), raw_item=cast(Any, fresh_output), output="ok"
    )
    prepared = tracker.prepare_input(cast(Any, original_input), cast(list[RunItem], [output_item]))

    assert prepared == [
        {
            "type": "function_call_output",
            "call_id": "call_DIAG",
            "output": "Diagnostic 'thermal' completed.",
        }
    ]
