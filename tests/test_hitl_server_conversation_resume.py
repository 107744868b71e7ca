"""Resuming an interrupted run on a server-managed conversation must deliver every tool output.

The model calls two approval-gated tools and one plain tool in a single response. The plain tool
runs before the run is interrupted, so its output exists only locally; resuming the run has to
send it along with the outputs for the gated calls, or the Responses API answers 400 "No tool
output found for function call <call_id>". These tests drive the real ``openai.AsyncOpenAI`` client
against a strict stand-in for the API on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
from openai import AsyncOpenAI

from agents import Agent, OpenAIResponsesModel, Runner, RunState, function_tool

from .utils.fake_responses_api import FakeResponsesAPI, message

Decision = Literal["reject", "approve", "mixed"]
DIAGNOSTIC_OUTPUT = "Diagnostic 'thermal' completed. CPU load: 23%, Temp: 72C."


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


MIXED_BATCH = [
    call("call_CLEANUP1", "run_cleanup", '{"target": "temp_files"}'),
    call("call_DIAG", "run_diagnostic", '{"check_name": "thermal"}'),
    call("call_CLEANUP2", "run_cleanup", '{"target": "winsxs_cache"}'),
]
SECOND_BATCH = [
    call("call_CLEANUP3", "run_cleanup", '{"target": "prefetch"}'),
    call("call_DIAG2", "run_diagnostic", '{"check_name": "disk"}'),
]


@pytest.fixture
def api() -> Iterator[FakeResponsesAPI]:
    with FakeResponsesAPI(script=[]) as server:
        yield server


def make_agent(api: FakeResponsesAPI, ran: list[str]) -> Agent[Any]:
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
        return f"Diagnostic '{check_name}' completed. CPU load: 23%, Temp: 72C."

    client = AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0)
    return Agent(
        name="it_support",
        instructions="Call every requested tool in one parallel batch.",
        model=OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client),
        tools=[run_cleanup, run_diagnostic],
    )


async def run(agent: Agent[Any], input: Any, *, streamed: bool, **kwargs: Any) -> Any:
    if not streamed:
        return await Runner.run(agent, input, **kwargs)
    result = Runner.run_streamed(agent, input, **kwargs)
    async for _ in result.stream_events():
        pass
    return result


async def decide_and_resume(
    agent: Agent[Any], result: Any, decision: Decision, *, streamed: bool
) -> Any:
    state = await RunState.from_string(agent, result.to_state().to_string())
    for index, interruption in enumerate(state.get_interruptions()):
        if decision == "approve" or (decision == "mixed" and index == 0):
            state.approve(interruption)
        else:
            state.reject(interruption)
    return await run(agent, state, streamed=streamed)


async def start(
    api: FakeResponsesAPI, agent: Agent[Any], mode: str, turns: list[Any], *, streamed: bool
) -> Any:
    """Open the conversation the way the report does, then run until the first interruption."""
    if mode == "previous_response_id":
        api.add_turns([message("Hello! How can I help?")])
        warm_up = await Runner.run(agent, "Hello, I may need cleanup and diagnostics soon.")
        conversation: dict[str, Any] = {"previous_response_id": warm_up.last_response_id}
    else:
        conversation = {"conversation_id": "conv_hitl_resume"}
    api.add_turns(*turns)
    return await run(
        agent,
        "Clean up temp_files and winsxs_cache and run a thermal diagnostic.",
        streamed=streamed,
        **conversation,
    )


def assert_every_call_answered_once(api: FakeResponsesAPI) -> None:
    outputs = api.outputs_by_call_id()
    assert api.rejections == []
    assert sorted(outputs) == sorted(api.call_ids())
    assert all(len(texts) == 1 for texts in outputs.values()), outputs


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("mode", ["previous_response_id", "conversation_id"])
@pytest.mark.parametrize("decision", ["reject", "approve", "mixed"])
async def test_resume_after_mixed_parallel_calls_delivers_every_tool_output(
    api: FakeResponsesAPI, streamed: bool, mode: str, decision: Decision
) -> None:
    ran: list[str] = []
    agent = make_agent(api, ran)

    result = await start(api, agent, mode, [MIXED_BATCH, [message("Done.")]], streamed=streamed)
    assert [item.name for item in result.interruptions] == ["run_cleanup", "run_cleanup"]
    assert ran == ["run_diagnostic:thermal"]

    resumed = await decide_and_resume(agent, result, decision, streamed=streamed)

    assert resumed.final_output == "Done."
    assert_every_call_answered_once(api)
    outputs = api.outputs_by_call_id()
    assert outputs["call_DIAG"] == [DIAGNOSTIC_OUTPUT]
    approved = {"reject": [], "approve": ["temp_files", "winsxs_cache"], "mixed": ["temp_files"]}
    assert ran == ["run_diagnostic:thermal"] + [f"run_cleanup:{t}" for t in approved[decision]]
    for call_id, target in [("call_CLEANUP1", "temp_files"), ("call_CLEANUP2", "winsxs_cache")]:
        expected = f"Cleaned up {target}" if target in approved[decision] else None
        if expected:
            assert outputs[call_id] == [expected]
        else:
            assert outputs[call_id] != [f"Cleaned up {target}"]


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
@pytest.mark.parametrize("mode", ["previous_response_id", "conversation_id"])
async def test_resume_survives_a_second_mixed_interruption_in_the_next_turn(
    api: FakeResponsesAPI, streamed: bool, mode: str
) -> None:
    ran: list[str] = []
    agent = make_agent(api, ran)

    turns = [MIXED_BATCH, SECOND_BATCH, [message("Done.")]]
    first = await start(api, agent, mode, turns, streamed=streamed)
    second = await decide_and_resume(agent, first, "approve", streamed=streamed)
    assert [item.name for item in second.interruptions] == ["run_cleanup"]
    resumed = await decide_and_resume(agent, second, "reject", streamed=streamed)

    assert resumed.final_output == "Done."
    assert_every_call_answered_once(api)
    assert ran == [
        "run_diagnostic:thermal",
        "run_cleanup:temp_files",
        "run_cleanup:winsxs_cache",
        "run_diagnostic:disk",
    ]
    assert api.outputs_by_call_id()["call_DIAG2"] == [
        "Diagnostic 'disk' completed. CPU load: 23%, Temp: 72C."
    ]
