"""A caller who carries a finished run's tool outputs into the next turn continues, patched or not.

The workaround that works on every release: after a run that ended on a tool output
(hitl_testkit/finished_turn.py), the caller prepends
``[i.to_input_item() for i in result.new_items if isinstance(i, ToolCallOutputItem)]`` to the next
turn's input, and continues as docs/running_agents.md says otherwise. Whatever a fix does at the
end of the first run, this caller must keep working.

The double rejects an input item whose ``id`` the context already holds (the API's "Duplicate
item found with id", quoted in #1789), so the carried items must be the local outputs as the
release returns them, with no server item id. With the next-turn fix on ``conversation_id``, the
conversation then holds the output twice, once delivered and once carried: no public source says
whether the API accepts a second output for an answered call, and the double accepts it (an
assumption, listed in fake_responses_api.py). Each mode is a group of its own in patches/manifest
(``carry:<mode>``), and every one must pass with and without the patches on every release.
"""

from __future__ import annotations

import pytest

from agents import ToolCallOutputItem

from hitl_testkit.finished_turn import LOOKED_UP, finished_turns, turn_ended_on_tool_output
from hitl_testkit.hitl_producers import run_agent
from hitl_testkit.wire import message, outputs_by_call_id


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize(("mode", "finish", "streamed"), finished_turns("carry"))
async def test_caller_who_carries_the_tool_outputs_into_the_next_turn_continues(
    mode: str, finish: str, streamed: bool
) -> None:
    async with turn_ended_on_tool_output(mode, finish, streamed) as turn:
        carried = [
            item.to_input_item()
            for item in turn.result.new_items
            if isinstance(item, ToolCallOutputItem)
        ]
        assert [item["call_id"] for item in carried] == turn.answered
        assert [sorted(item) for item in carried] == [["call_id", "output", "type"]] * len(carried)
        turn.script.add("support", [message("Anything else?")])
        second = await run_agent(
            turn.agent,
            [*carried, {"role": "user", "content": "Thanks. And order_2?"}],
            turn.run_config,
            streamed=streamed,
            **turn.next_turn,
        )

        assert second.final_output == "Anything else?"
        assert turn.api.rejections == []
        assert outputs_by_call_id(turn.api)["call_LOOKUP"][-1] == LOOKED_UP
        assert turn.ran == ["lookup_order"]
