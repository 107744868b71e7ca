"""A resumable state that is not an interruption must send its tool output to the server too.

test_hitl_server_conversation_producers.py measures the interrupted turn. A run can also be saved,
and resumed on ``previous_response_id``, ``conversation_id`` or ``auto_previous_response_id``,
after its latest model response without being interrupted:

- ``finished-on-tool-output``: the run finished because a tool's output is its final output
  (``tool_use_behavior="stop_on_first_tool"``, ``StopAtTools``, or a function returning
  ``ToolsToFinalOutputResult(is_final_output=True)``). The output was built locally and no
  request followed it.
- ``cancelled-stream``: a streamed run cancelled with ``cancel(mode="after_turn")`` when its tool
  is called or once it has answered. The turn finishes, its tools run, and the run stops before
  the next request.
- ``max-turns-handler``: ``max_turns=1`` and a ``max_turns`` error handler that ends the run with
  a final output after the tool has run.

In each, the tool output answers a call of the latest model response and has never reached the
server, so the resumed run's first request has to carry it exactly once, or the Responses API
answers 400 "No tool output found for function call <call_id>". Each state is resumed through
``Runner.run`` and ``Runner.run_streamed``, from the result's ``to_state()`` held in memory and
after ``to_string()`` and ``RunState.from_string()``, with the real ``openai.AsyncOpenAI`` client
answered by the strict in-process double through ``httpx.MockTransport``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agents import (
    Agent,
    MaxTurnsExceeded,
    RunConfig,
    RunErrorHandlerResult,
    Runner,
    RunState,
    function_tool,
)

from hitl_testkit.finished_turn import LOOKED_UP, LOOKUP
from hitl_testkit.hitl_producers import (
    MODES,
    TOOL_USE_BEHAVIORS,
    open_conversation,
    requires_release,
    run_agent,
    scripted_agent,
    scripted_server,
)
from hitl_testkit.wire import assert_every_call_answered_once, message, outputs_by_call_id

STOPPED = "Stopped after one turn."
# A state that ends its run at max_turns keeps that limit: Runner.run(state) restores it from the
# state and raises MaxTurnsExceeded before any request, whatever max_turns the caller passes.
MAX_TURNS_NOT_RESUMABLE = (
    "a state saved by a max_turns error handler keeps max_turns and is not resumable through the "
    "public API: resuming raises MaxTurnsExceeded before any request"
)


async def finished_on_tool_output(
    agent: Agent[Any], run_config: RunConfig, variant: str, streamed: bool, **kwargs: Any
) -> Any:
    agent = agent.clone(tool_use_behavior=TOOL_USE_BEHAVIORS[variant]())
    first = await run_agent(agent, "Where is order_1?", run_config, streamed=streamed, **kwargs)
    assert first.final_output == LOOKED_UP
    return agent, first


# The stream event on which the consumer cancels, for cancelled-stream.
CANCEL_ON = {"on-tool-called": "tool_called", "on-tool-output": "tool_output"}


async def cancelled_stream(
    agent: Agent[Any], run_config: RunConfig, variant: str, streamed: bool, **kwargs: Any
) -> Any:
    # The state only exists for a streamed run: the first run streams whatever the resume does.
    if variant == "on-tool-output":
        requires_release(
            (0, 19, 3), "after-turn cancellation waiting for the turn's events (0.19.3, #4130)"
        )
    first = Runner.run_streamed(agent, "Where is order_1?", run_config=run_config, **kwargs)
    async for event in first.stream_events():
        if getattr(event, "name", None) == CANCEL_ON[variant]:
            first.cancel(mode="after_turn")
    # Stopped after the tool's turn, before the model could answer with "Done.".
    assert first.final_output is None
    return agent, first


async def max_turns_handler(
    agent: Agent[Any], run_config: RunConfig, variant: str, streamed: bool, **kwargs: Any
) -> Any:
    def stop(data: Any) -> RunErrorHandlerResult:
        return RunErrorHandlerResult(final_output=STOPPED)

    first = await run_agent(
        agent,
        "Where is order_1?",
        run_config,
        streamed=streamed,
        max_turns=1,
        error_handlers={"max_turns": stop},
        **kwargs,
    )
    assert first.final_output == STOPPED
    return agent, first


# Each state, the ways it comes about, and the first run that saves it.
STATES: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "finished-on-tool-output": (tuple(TOOL_USE_BEHAVIORS), finished_on_tool_output),
    "cancelled-stream": (tuple(CANCEL_ON), cancelled_stream),
    "max-turns-handler": (("RunErrorHandlerResult",), max_turns_handler),
}


def ways() -> list[Any]:
    """Each way of each state in every mode, resumed twice: through Runner.run and
    Runner.run_streamed, once from memory and once from a string. Which entry point meets which
    serialization rotates with the mode and the way, so each pairing occurs."""
    cases = []
    shift = 0
    for state, (variants, _) in STATES.items():
        for variant in variants:
            for index, mode in enumerate(MODES):
                pairings = [("run", "memory"), ("run_streamed", "string")]
                if (index + shift) % 2 == 1:
                    pairings = [("run", "string"), ("run_streamed", "memory")]
                for entry, serialization in pairings:
                    case_id = f"{state}-{variant}-{mode}-{entry}-{serialization}"
                    streamed = entry == "run_streamed"
                    cases.append(
                        pytest.param(
                            state,
                            variant,
                            mode,
                            streamed,
                            serialization,
                            id=case_id,
                            marks=pytest.mark.group(f"state:{state}"),
                        )
                    )
            shift += 1
    return cases


@pytest.mark.allow_call_model_methods
@pytest.mark.parametrize(("state_name", "variant", "mode", "streamed", "serialization"), ways())
async def test_resume_sends_the_tool_output_of_the_saved_state_once(
    state_name: str, variant: str, mode: str, streamed: bool, serialization: str
) -> None:
    async with scripted_server() as (script, api, client):
        ran: list[str] = []

        @function_tool
        def lookup_order(order_id: str) -> str:
            ran.append("lookup_order")
            return f"Order {order_id} shipped."

        agent = scripted_agent("support", client, tools=[lookup_order])
        run_config = RunConfig(tracing_disabled=True)
        conversation = await open_conversation(agent, script, run_config, mode)
        script.add("support", [LOOKUP], [message("Done.")])

        _, save = STATES[state_name]
        agent, first = await save(agent, run_config, variant, streamed, **conversation)

        assert ran == ["lookup_order"]
        state = first.to_state()
        if serialization == "string":
            state = await RunState.from_string(agent, state.to_string())
        if mode == "previous_response_id":
            conversation = {"previous_response_id": first.last_response_id}
        if state_name == "max-turns-handler":
            # The caller lifts the limit the first run ended on.
            conversation["max_turns"] = 10
        requests_before_resume = len(api.requests)
        try:
            resumed = await run_agent(agent, state, run_config, streamed=streamed, **conversation)
        except MaxTurnsExceeded:
            if state_name == "max-turns-handler" and len(api.requests) == requests_before_resume:
                pytest.xfail(MAX_TURNS_NOT_RESUMABLE)
            raise

        assert resumed.final_output == "Done."
        assert_every_call_answered_once(api, resumed.last_response_id)
        assert outputs_by_call_id(api) == {"call_LOOKUP": [LOOKED_UP]}
        assert ran == ["lookup_order"]
