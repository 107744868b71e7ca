"""After a run ends on a tool output, the next turn upstream documents must reach the server.

hitl_testkit/finished_turn.py runs the first turn to the tool's output in each way a run finishes
on one. The next user turn is then made as upstream's docs/running_agents.md says, never by
resuming the finished ``RunState`` (a terminal state; test_hitl_server_conversation_states.py
measures that), and with only the new input: the caller carries nothing
(test_hitl_server_conversation_carry.py measures the caller who does).

The Responses API answers such a request with 400 "No tool output found for function call
<call_id>" while a call of the context it continues has no output. Each test asserts that the
next turn succeeds and that, over the wire, every call was answered exactly once. Each mode is a
group of its own in patches/manifest (``next-turn:<mode>``): the Conversations API can take the
output without a model response, the ``previous_response_id`` chain cannot.
"""

from __future__ import annotations

import pytest

from hitl_testkit.finished_turn import LOOKED_UP, finished_turns, turn_ended_on_tool_output
from hitl_testkit.hitl_producers import run_agent
from hitl_testkit.wire import assert_every_call_answered_once, message, outputs_by_call_id


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize(("mode", "finish", "streamed"), finished_turns("next-turn"))
async def test_next_turn_after_a_run_that_ended_on_a_tool_output_reaches_the_server(
    mode: str, finish: str, streamed: bool
) -> None:
    async with turn_ended_on_tool_output(mode, finish, streamed) as turn:
        turn.script.add("support", [message("Anything else?")])
        second = await run_agent(
            turn.agent,
            "Thanks. And order_2?",
            turn.run_config,
            streamed=streamed,
            **turn.next_turn,
        )

        assert second.final_output == "Anything else?"
        assert_every_call_answered_once(turn.api, second.last_response_id)
        outputs = outputs_by_call_id(turn.api)
        assert outputs.pop("call_LOOKUP") == [LOOKED_UP]
        assert ["call_LOOKUP", *outputs] == turn.answered
        assert turn.ran == ["lookup_order"]
