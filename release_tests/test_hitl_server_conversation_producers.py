"""Every locally produced tool output of an interrupted turn must reach a server conversation.

When a model response holds a call that needs approval, the runner still produces the outputs it
can produce locally for the other calls of that response before it stops: a tool that returns, a
tool that raises and is answered by its ``failure_error_function``, a call to a tool that does not
exist (``RunConfig.tool_not_found_behavior``), a tool whose input or output guardrail rejects the
call, an agent used as a tool, a shell tool. The same holds for a tool that ran before the
interruption and that the resuming agent no longer offers. None of these outputs has been sent
when the run is interrupted.
Resuming the run on ``previous_response_id``, ``conversation_id`` or ``auto_previous_response_id``
has to send each of them exactly once, or the Responses API answers 400 "No tool output found
for function call <call_id>".

These tests need a wire-level double rather than ``ScriptedModel``: the bug is what reaches the
wire in a server-managed conversation, and only the request bodies show it. The real
``openai.AsyncOpenAI`` client talks, through ``httpx.MockTransport``, to a strict in-process double
of the Responses API that keeps each response's context and refuses a request in which a call
lacks its output, or gets a second one.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents import RunConfig, RunState

from hitl_testkit.hitl_producers import (
    GATED,
    MODES,
    PRODUCERS,
    gated_tool,
    open_conversation,
    run_agent,
    scripted_agent,
    scripted_server,
)
from hitl_testkit.wire import assert_every_call_answered_once, message, outputs_by_call_id

REJECTION = "The operator did not approve this refund."


def ways() -> list[Any]:
    """Each producer in every mode, once. The entry point and the decision rotate with the
    producer, so each producer meets both entry points and both decisions, and each mode meets
    every pairing of them across producers."""
    cases = []
    for shift, producer in enumerate(PRODUCERS):
        for index, mode in enumerate(MODES):
            streamed = (index + shift) % 2 == 1
            approve = (index + shift // 2) % 2 == 0
            entry = "run_streamed" if streamed else "run"
            decision = "approve" if approve else "reject"
            case_id = f"{producer}-{mode}-{entry}-{decision}"
            group = pytest.mark.group(f"api:{producer}")
            cases.append(pytest.param(producer, mode, streamed, approve, id=case_id, marks=group))
    return cases


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize(("producer", "mode", "streamed", "approve"), ways())
async def test_resume_sends_each_local_output_of_the_interrupted_turn_once(
    producer: str, mode: str, streamed: bool, approve: bool
) -> None:
    async with scripted_server() as (script, api, client):
        ran: list[str] = []
        scenario = PRODUCERS[producer](client, script, ran)
        issue_refund = gated_tool(ran)
        tools = [issue_refund, *scenario.tools]
        agent = scripted_agent("support", client, tools=tools, handoffs=scenario.handoffs)
        run_config = RunConfig(tracing_disabled=True, **scenario.run_config)
        conversation = await open_conversation(agent, script, run_config, mode)
        script.add("support", [GATED, *scenario.calls])
        if scenario.resumed_by == "support":
            script.add("support", [message("Done.")])

        first = await run_agent(
            agent, "Refund order_1.", run_config, streamed=streamed, **conversation
        )

        assert [item.call_id for item in first.interruptions] == ["call_REFUND"]
        assert ran == scenario.ran_before_interruption
        if scenario.tools_at_resume is not None:
            agent = agent.clone(tools=[issue_refund, *scenario.tools_at_resume])
        state = await RunState.from_string(agent, first.to_state().to_string())
        [interruption] = state.get_interruptions()
        if approve:
            state.approve(interruption)
        else:
            state.reject(interruption, rejection_message=REJECTION)
        resumed = await run_agent(agent, state, run_config, streamed=streamed)

        assert resumed.final_output == "Done."
        assert resumed.interruptions == []
        assert_every_call_answered_once(api, resumed.last_response_id)
        outputs = outputs_by_call_id(api)
        assert outputs["call_REFUND"] == ["Refunded order_1." if approve else REJECTION]
        for call_id, expected in scenario.outputs.items():
            assert outputs[call_id] == [expected]
        assert ran == scenario.ran_before_interruption + (["issue_refund"] if approve else [])
