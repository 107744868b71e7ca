"""A first turn that ends on a tool's output on a server-managed conversation, for the tests of the
turn after it (test_hitl_server_conversation_next_turn.py and ..._carry.py).

A run finishes on a tool's output when its ``tool_use_behavior`` says so
(``"stop_on_first_tool"``, ``StopAtTools``, or a function returning
``ToolsToFinalOutputResult(is_final_output=True)``), when an approved tool of that kind runs on
resume, or when a run resumed after a rejection finishes on the output such a tool built before
the interruption. No model request follows the tool, so the server holds the model's function call
and, unless something delivers it, no output for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from openai import AsyncOpenAI

from agents import Agent, RunConfig, StopAtTools, function_tool

from .fake_responses_api import StrictResponsesAPI
from .hitl_producers import (
    MODES,
    TOOL_USE_BEHAVIORS,
    Script,
    open_conversation,
    requires_release,
    run_agent,
    scripted_agent,
    scripted_server,
)
from .wire import call

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
    # rejected, and the resumed run ends on the output the tool built before the interruption
    # (from 0.23.0, #5240; before it, the resumed run asks the model again).
    "resumed-after-rejection": lambda: StopAtTools(stop_at_tool_names=["lookup_order"]),
}


def finished_turns(group: str) -> list[Any]:
    """``(mode, finish, streamed)`` for each first turn, to parametrize a test of the turn after
    it; each mode's cases are in the group ``<group>:<mode>`` of patches/manifest."""
    return [
        pytest.param(
            mode,
            finish,
            streamed,
            marks=pytest.mark.group(f"{group}:{mode}"),
            id=f"{mode}-{finish}-{'run_streamed' if streamed else 'run'}",
        )
        for mode in MODES
        for finish in FINISHES
        for streamed in (False, True)
    ]


@dataclass
class FinishedTurn:
    """The first turn, finished on the tool's output, and how docs/running_agents.md continues it:
    ``next_turn`` holds what the next ``Runner`` call passes besides its input."""

    script: Script
    api: StrictResponsesAPI
    client: AsyncOpenAI
    agent: Agent[Any]
    run_config: RunConfig
    result: Any
    next_turn: dict[str, Any]
    ran: list[str]
    # The calls the first turn's outputs answer: call_NOTIFY too after a rejection.
    answered: list[str]


@asynccontextmanager
async def turn_ended_on_tool_output(
    mode: str, finish: str, streamed: bool
) -> AsyncIterator[FinishedTurn]:
    """Run the first turn in ``mode`` until it ends on the tool's output, without another model
    request, through ``Runner.run`` or ``Runner.run_streamed``."""
    if finish == "resumed-after-rejection":
        requires_release(
            (0, 23, 0), "resumed runs that end on a stop tool's earlier output (0.23.0, #5240)"
        )
    async with scripted_server() as (script, api, client):
        ran: list[str] = []
        needs_approval = finish == "approved-on-resume"
        rejected = finish == "resumed-after-rejection"

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
        script.add("support", [LOOKUP, NOTIFY] if rejected else [LOOKUP])

        result = await run_agent(
            agent, "Where is order_1?", run_config, streamed=streamed, **settings
        )
        if needs_approval or rejected:
            gated = "call_NOTIFY" if rejected else "call_LOOKUP"
            assert [item.raw_item.call_id for item in result.interruptions] == [gated]
            state = result.to_state()
            if rejected:
                state.reject(result.interruptions[0])
            else:
                state.approve(result.interruptions[0])
            if mode == "previous_response_id":
                settings = {"previous_response_id": result.last_response_id}
            result = await run_agent(agent, state, run_config, streamed=streamed, **settings)

        assert result.final_output == LOOKED_UP
        assert ran == ["lookup_order"]
        assert len(api.requests) == requests_before + 1
        # docs/running_agents.md: "the same conversation_id plus only the new user turn", or
        # "result.last_response_id plus only the new user turn" (after auto_previous_response_id
        # too).
        next_turn = (
            settings
            if mode == "conversation_id"
            else {"previous_response_id": result.last_response_id}
        )
        answered = ["call_LOOKUP", "call_NOTIFY"] if rejected else ["call_LOOKUP"]
        yield FinishedTurn(script, api, client, agent, run_config, result, next_turn, ran, answered)
