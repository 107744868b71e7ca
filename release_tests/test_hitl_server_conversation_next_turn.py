"""After a run ends on a tool output, the next turn upstream documents must reach the server.

A run finishes on a tool's output when its ``tool_use_behavior`` says so
(``"stop_on_first_tool"``, ``StopAtTools``, or a function returning
``ToolsToFinalOutputResult(is_final_output=True)``), when an approved tool of that kind runs on
resume, or when a run resumed after a rejection finishes on the output such a tool built before
the interruption. No model request follows the tool, so on a server-managed conversation the
server holds the model's function call and no output for it.

The next user turn is then made as upstream's docs/running_agents.md says, never by resuming the
finished ``RunState`` (a terminal state; test_hitl_server_conversation_states.py measures that):

- ``conversation_id``: "the same ``conversation_id`` plus only the new user turn";
- ``previous_response_id`` (and a first run chained with ``auto_previous_response_id``):
  "``result.last_response_id`` plus only the new user turn".

The Responses API answers such a request with 400 "No tool output found for function call
<call_id>" while a call of the context it continues has no output. Each test asserts that the
next turn succeeds and that, over the wire, every call was answered exactly once. Each mode is a
group of its own in patches/manifest (``next-turn:<mode>``): the Conversations API can take the
output without a model response, the ``previous_response_id`` chain cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agents import RunConfig, StopAtTools, function_tool

from hitl_testkit.fake_responses_api import assert_every_call_answered_once, call, message
from hitl_testkit.hitl_producers import (
    TOOL_USE_BEHAVIORS,
    open_conversation,
    run_agent,
    scripted_agent,
    scripted_server,
)

LOOKUP = call("call_LOOKUP", "lookup_order", {"order_id": "order_1"})
NOTIFY = call("call_NOTIFY", "notify_customer", {"order_id": "order_1"})
LOOKED_UP = "Order order_1 shipped."


# How the first run ends on the tool's output.
FINISHES: dict[str, Callable[[], Any]] = {
    **TOOL_USE_BEHAVIORS,
    # The tool needs approval: the first run is interrupted, approved and resumed from its
    # RunState, and the approved tool's output ends the resumed run.
    "approved-on-resume": lambda: "stop_on_first_tool",
    # The tool runs next to a call that needs approval; the first run is interrupted, the call is
    # rejected, and the resumed run ends on the output the tool built before the interruption.
    "resumed-after-rejection": lambda: StopAtTools(stop_at_tool_names=["lookup_order"]),
}
MODES = ("conversation_id", "previous_response_id", "auto_previous_response_id")


def next_turn_settings(mode: str, settings: dict[str, Any], first: Any) -> dict[str, Any]:
    """What docs/running_agents.md passes with the new user turn."""
    if mode == "conversation_id":
        return settings
    return {"previous_response_id": first.last_response_id}


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("finish", list(FINISHES))
@pytest.mark.parametrize("mode", MODES)
async def test_next_turn_after_a_run_that_ended_on_a_tool_output_reaches_the_server(
    mode: str, finish: str, streamed: bool
) -> None:
    async with scripted_server() as (script, api, client):
        ran: list[str] = []
        needs_approval = finish == "approved-on-resume"

        @function_tool(needs_approval=needs_approval)
        def lookup_order(order_id: str) -> str:
            ran.append("lookup_order")
            return f"Order {order_id} shipped."

        @function_tool(needs_approval=True)
        def notify_customer(order_id: str) -> str:
            ran.append("notify_customer")
            return f"Customer of {order_id} notified."

        agent = scripted_agent(
            "support",
            client,
            tools=[lookup_order, notify_customer],
            tool_use_behavior=FINISHES[finish](),
        )
        run_config = RunConfig(tracing_disabled=True)
        settings = await open_conversation(agent, script, run_config, mode)
        requests_before = len(api.requests)
        rejected = finish == "resumed-after-rejection"
        script.add("support", [LOOKUP, NOTIFY] if rejected else [LOOKUP])

        first = await run_agent(
            agent, "Where is order_1?", run_config, streamed=streamed, **settings
        )
        if needs_approval or rejected:
            gated = "call_NOTIFY" if rejected else "call_LOOKUP"
            assert [item.raw_item.call_id for item in first.interruptions] == [gated]
            state = first.to_state()
            if rejected:
                state.reject(first.interruptions[0])
            else:
                state.approve(first.interruptions[0])
            if mode == "previous_response_id":
                settings = {"previous_response_id": first.last_response_id}
            first = await run_agent(agent, state, run_config, streamed=streamed, **settings)

        # The first run ends on the tool's output, without another model request.
        assert first.final_output == LOOKED_UP
        assert ran == ["lookup_order"]
        assert len(api.requests) == requests_before + 1

        script.add("support", [message("Anything else?")])
        second = await run_agent(
            agent,
            "Thanks. And order_2?",
            run_config,
            streamed=streamed,
            **next_turn_settings(mode, settings, first),
        )

        assert second.final_output == "Anything else?"
        assert_every_call_answered_once(api, second.last_response_id)
        outputs = api.outputs_by_call_id()
        assert outputs.pop("call_LOOKUP") == [LOOKED_UP]
        assert list(outputs) == (["call_NOTIFY"] if rejected else [])
        assert ran == ["lookup_order"]
