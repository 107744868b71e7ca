"""Resuming an interrupted run on a server-managed conversation must deliver every tool output.

The model calls two approval-gated tools and one plain tool in a single response. The plain tool
runs before the run is interrupted, so its output exists only locally; resuming the run has to
send it along with the outputs for the gated calls, or the Responses API answers 400 "No tool
output found for function call <call_id>". These tests drive the real ``openai.AsyncOpenAI`` client
against a strict in-process double of the API, through ``httpx.MockTransport``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

import pytest
from openai import AsyncOpenAI

from agents import Agent, RunConfig, RunState, function_tool

from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.hitl_producers import model, run_agent
from hitl_testkit.wire import (
    assert_every_call_answered_once,
    call,
    message,
    openai_client,
    outputs_by_call_id,
)

pytestmark = pytest.mark.group("batch")

# Tracing stays off: no trace leaves for the real API.
RUN_CONFIG = RunConfig(tracing_disabled=True)
Decision = Literal["reject", "approve", "mixed"]
REJECTION = "The operator did not approve this cleanup."


MIXED_BATCH = [
    call("call_CLEANUP1", "run_cleanup", {"target": "temp_files"}),
    call("call_DIAG", "run_diagnostic", {"check_name": "thermal"}),
    call("call_CLEANUP2", "run_cleanup", {"target": "winsxs_cache"}),
]
SECOND_BATCH = [
    call("call_CLEANUP3", "run_cleanup", {"target": "prefetch"}),
    call("call_DIAG2", "run_diagnostic", {"check_name": "disk"}),
]


def diagnostic_output(check_name: str) -> str:
    return f"Diagnostic '{check_name}' completed. CPU load: 23%, Temp: 72C."


def make_agent(client: AsyncOpenAI, ran: list[str]) -> Agent[Any]:
    @function_tool(needs_approval=True)
    def run_cleanup(target: str) -> str:
        """Run a destructive cleanup operation on a target.

        Args:
            target: The cleanup target, e.g. "temp_files".
        """
        ran.append(f"run_cleanup:{target}")
        return f"Cleaned up {target}"

    @function_tool
    def run_diagnostic(check_name: str) -> str:
        """Run a read-only diagnostic check.

        Args:
            check_name: The diagnostic to run, e.g. "thermal".
        """
        ran.append(f"run_diagnostic:{check_name}")
        return diagnostic_output(check_name)

    return Agent(
        name="it_support",
        instructions="Call every requested tool in one parallel batch.",
        model=model(client),
        tools=[run_cleanup, run_diagnostic],
    )


async def decide_and_resume(
    agent: Agent[Any], result: Any, approve: set[str], *, streamed: bool
) -> Any:
    """Serialise the interrupted run, restore it, approve the given call ids, reject the rest."""
    state = await RunState.from_string(agent, result.to_state().to_string())
    for interruption in state.get_interruptions():
        if interruption.call_id in approve:
            state.approve(interruption)
        else:
            state.reject(interruption, rejection_message=REJECTION)
    return await run_agent(agent, state, RUN_CONFIG, streamed=streamed)


async def start(
    api: StrictResponsesAPI, agent: Agent[Any], mode: str, turns: list[Any], *, streamed: bool
) -> Any:
    """Open the conversation the way the report does, then run until the first interruption."""
    if mode == "previous_response_id":
        api.add_turns([message("Hello! How can I help?")])
        warm_up = await run_agent(
            agent, "Hello, I may need cleanup and diagnostics soon.", RUN_CONFIG, streamed=False
        )
        assert warm_up.last_response_id
        conversation: dict[str, Any] = {"previous_response_id": warm_up.last_response_id}
    else:
        conversation = {"conversation_id": "conv_hitl_resume"}
    api.add_turns(*turns)
    result = await run_agent(
        agent,
        "Clean up temp_files and winsxs_cache and run a thermal diagnostic.",
        RUN_CONFIG,
        streamed=streamed,
        **conversation,
    )
    assert [item.call_id for item in result.interruptions] == ["call_CLEANUP1", "call_CLEANUP2"]
    return result


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("mode", ["previous_response_id", "conversation_id"])
@pytest.mark.parametrize("decision", ["reject", "approve", "mixed"])
async def test_resume_after_mixed_parallel_calls_delivers_every_tool_output(
    streamed: bool, mode: str, decision: Decision
) -> None:
    api = StrictResponsesAPI(script=[])
    async with openai_client(api) as client:
        ran: list[str] = []
        agent = make_agent(client, ran)
        approved = {
            "reject": set(),
            "approve": {"call_CLEANUP1", "call_CLEANUP2"},
            "mixed": {"call_CLEANUP1"},
        }[decision]

        result = await start(api, agent, mode, [MIXED_BATCH, [message("Done.")]], streamed=streamed)
        assert ran == ["run_diagnostic:thermal"]

        resumed = await decide_and_resume(agent, result, approved, streamed=streamed)

        assert resumed.final_output == "Done."
        assert resumed.interruptions == []
        assert_every_call_answered_once(api, resumed.last_response_id)
        outputs = outputs_by_call_id(api)
        assert outputs["call_DIAG"] == [diagnostic_output("thermal")]
        targets = {"call_CLEANUP1": "temp_files", "call_CLEANUP2": "winsxs_cache"}
        # Approved calls run concurrently on resume, in no promised order.
        assert ran[0] == "run_diagnostic:thermal"
        assert Counter(ran[1:]) == Counter(
            f"run_cleanup:{target}" for call_id, target in targets.items() if call_id in approved
        )
        for call_id, target in targets.items():
            expected = f"Cleaned up {target}" if call_id in approved else REJECTION
            assert outputs[call_id] == [expected]


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("mode", ["previous_response_id", "conversation_id"])
async def test_resume_delivers_every_tool_output_after_a_second_mixed_interruption(
    streamed: bool, mode: str
) -> None:
    api = StrictResponsesAPI(script=[])
    async with openai_client(api) as client:
        ran: list[str] = []
        agent = make_agent(client, ran)

        turns = [MIXED_BATCH, SECOND_BATCH, [message("Done.")]]
        first = await start(api, agent, mode, turns, streamed=streamed)
        second = await decide_and_resume(
            agent, first, {"call_CLEANUP1", "call_CLEANUP2"}, streamed=streamed
        )
        assert [item.call_id for item in second.interruptions] == ["call_CLEANUP3"]
        assert ran[-1] == "run_diagnostic:disk"
        resumed = await decide_and_resume(agent, second, set(), streamed=streamed)

        assert resumed.final_output == "Done."
        assert resumed.interruptions == []
        assert_every_call_answered_once(api, resumed.last_response_id)
        # The two approved cleanups run concurrently, in no promised order.
        assert ran[0] == "run_diagnostic:thermal"
        assert Counter(ran[1:3]) == Counter(["run_cleanup:temp_files", "run_cleanup:winsxs_cache"])
        assert ran[3:] == ["run_diagnostic:disk"]
        outputs = outputs_by_call_id(api)
        assert outputs["call_DIAG"] == [diagnostic_output("thermal")]
        assert outputs["call_DIAG2"] == [diagnostic_output("disk")]
        assert outputs["call_CLEANUP3"] == [REJECTION]
