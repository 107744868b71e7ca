"""Resume after rejecting part of a mixed parallel batch on a server-managed conversation.

Regression coverage for #3004. The model calls one tool that needs approval and one that does not
in a single response; the second runs locally before the run is interrupted. Its output has not
reached the server, so the resumed run must send it, or the Responses API answers 400 "No tool
output found for function call".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from agents import (
    Agent,
    ModelSettings,
    RunConfig,
    RunContextWrapper,
    Runner,
    RunState,
    function_tool,
)

pytestmark = pytest.mark.core

PROMPT = (
    "Please do all of the following RIGHT NOW in parallel:\n"
    "1. Clean up temp_files\n"
    "2. Run a thermal_snapshot diagnostic\n"
    "3. Clean up winsxs_cache\n"
    "Call all three tools at once."
)
CONFIG = RunConfig(tracing_disabled=True)


@dataclasses.dataclass
class Ctx:
    web_hitl: bool = False


async def _needs_approval(
    ctx: RunContextWrapper[Ctx], params: dict[str, Any], call_id: str
) -> bool:
    return ctx.context.web_hitl


@function_tool(needs_approval=_needs_approval)
async def run_cleanup(wrapper: RunContextWrapper[Ctx], target: str) -> str:
    """Run a cleanup operation on the given target. REQUIRES APPROVAL.

    Args:
        target: The name of the cleanup target (e.g. "temp_files", "winsxs_cache").
    """
    return f"Cleaned up {target}"


@function_tool
async def run_diagnostic(wrapper: RunContextWrapper[Ctx], check_name: str) -> str:
    """Run a read-only diagnostic check. Does NOT require approval.

    Args:
        check_name: Name of the diagnostic to run (e.g. "thermal_snapshot").
    """
    return f"Diagnostic '{check_name}' completed. CPU load: 23%, Temp: 72C."


def create_agent(model: str) -> Agent[Ctx]:
    return Agent[Ctx](
        name="IT support agent",
        instructions=(
            "You are an IT support assistant. You have two tools:\n"
            "- run_cleanup: performs destructive cleanup (REQUIRES APPROVAL)\n"
            "- run_diagnostic: read-only diagnostic (executes immediately)\n\n"
            "CRITICAL: When asked to do multiple things, call ALL tools in a "
            "SINGLE parallel batch. Never call them one-by-one."
        ),
        model=model,
        model_settings=ModelSettings(parallel_tool_calls=True),
        tools=[run_cleanup, run_diagnostic],
    )


async def test_resume_after_rejecting_mixed_parallel_calls_sends_the_local_tool_output(
    integration_model: str,
) -> None:
    warm_up = await Runner.run(
        create_agent(integration_model),
        "Hello, I might need help with cleanup and diagnostics soon.",
        context=Ctx(web_hitl=False),
        max_turns=3,
        run_config=CONFIG,
    )
    assert warm_up.last_response_id

    interrupted = None
    for _ in range(3):
        # A live model does not batch the calls every time; the scenario needs the batch.
        attempt = Runner.run_streamed(
            create_agent(integration_model),
            PROMPT,
            context=Ctx(web_hitl=True),
            max_turns=5,
            previous_response_id=warm_up.last_response_id,
            run_config=CONFIG,
        )
        async for _event in attempt.stream_events():
            pass
        if len(attempt.interruptions) >= 2:
            interrupted = attempt
            break
    assert interrupted is not None, "the model never made the mixed parallel batch"

    agent = create_agent(integration_model)
    state = await RunState.from_string(
        agent,
        interrupted.to_state().to_string(
            context_serializer=dataclasses.asdict, strict_context=True
        ),
        context_deserializer=lambda data: Ctx(**data),
        strict_context=True,
    )
    for interruption in state.get_interruptions():
        state.reject(interruption, rejection_message="Not approved.")

    resumed = Runner.run_streamed(agent, state, max_turns=10, run_config=CONFIG)
    async for _event in resumed.stream_events():
        pass

    assert resumed.final_output
