"""Resume an approval interruption on a server-managed conversation, through the public API.

Run it from this checkout's root (it uses the strict in-process double of the Responses API in
``hitl_testkit``, which answers the real ``AsyncOpenAI`` client through
``httpx.MockTransport``), with the release to check installed:

    python -m repro.resume_after_approval

``next_turn_verdict()`` checks the turn after a run that ended on a tool output, on the same
``conversation_id``; hotfix.py verify runs it where the release has the next-turn fix.

Each scenario is a model response that calls ``issue_refund`` (needs approval) next to a call
whose output the SDK produces locally before the run is interrupted. The run is serialised, the
refund is rejected, and the run resumes on ``conversation_id``. An affected release fails with
``400 No tool output found for function call <call_id>``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import fields
from typing import Any

from openai import BadRequestError

from agents import Agent, OpenAIResponsesModel, RunConfig, Runner, RunState, function_tool

from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.wire import call, message, openai_client

# Every call in these scenarios is about one order.
ORDER = {"order_id": "order_1"}


@function_tool(needs_approval=True)
def issue_refund(order_id: str) -> str:
    return f"Refunded {order_id}."


@function_tool
def order_status(order_id: str) -> str:
    return f"Order {order_id} shipped."


async def resume(other_call: dict[str, Any], resumed_tools: list[Any], **config: Any) -> str:
    batch = [call("call_REFUND", "issue_refund", ORDER), other_call]
    async with openai_client(StrictResponsesAPI([batch, [message("Done.")]])) as client:
        model = OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client)
        agent = Agent(name="support", model=model, tools=[issue_refund, order_status])
        run_config = RunConfig(tracing_disabled=True, **config)
        first = await Runner.run(
            agent, "Refund order_1.", run_config=run_config, conversation_id="conv_1"
        )
        # The agent that resumes may offer other tools, e.g. when an MCP server's list changed.
        agent = agent.clone(tools=resumed_tools)
        state = await RunState.from_string(agent, first.to_state().to_string())
        state.reject(state.get_interruptions()[0])
        try:
            await Runner.run(agent, state, run_config=run_config)
        except BadRequestError as error:
            body = error.body if isinstance(error.body, dict) else {}
            return f"400 {body.get('message', error.message)}"
    return "ok"


async def verdicts() -> dict[str, str]:
    """Each scenario this release can express, and "ok" or how its resume failed."""
    # The SDK logs every refused request; the verdicts say what was refused.
    logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
    scenarios = {
        "a tool that needs no approval": resume(
            call("call_STATUS", "order_status", ORDER), [issue_refund, order_status]
        ),
        "that tool, gone from the agent that resumes": resume(
            call("call_STATUS", "order_status", ORDER), [issue_refund]
        ),
    }
    if "tool_not_found_behavior" in {field.name for field in fields(RunConfig)}:
        scenarios["a call to a tool that does not exist"] = resume(
            call("call_GHOST", "cancel_order", ORDER),
            [issue_refund, order_status],
            tool_not_found_behavior="return_error_to_model",
        )
    return {name: await scenario for name, scenario in scenarios.items()}


@function_tool
def lookup_order(order_id: str) -> str:
    return f"Order {order_id} shipped."


async def next_turn_verdict() -> str:
    """A run that ends on a tool output, then the next turn on the same conversation_id, as
    upstream's docs/running_agents.md says: "ok", or how the next turn failed."""
    logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
    api = StrictResponsesAPI(
        [[call("call_LOOKUP", "lookup_order", ORDER)], [message("Anything else?")]]
    )
    async with openai_client(api) as client:
        model = OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client)
        agent = Agent(
            name="support",
            model=model,
            tools=[lookup_order],
            tool_use_behavior="stop_on_first_tool",
        )
        run_config = RunConfig(tracing_disabled=True)
        await Runner.run(
            agent, "Where is order_1?", run_config=run_config, conversation_id="conv_1"
        )
        try:
            await Runner.run(agent, "Thanks.", run_config=run_config, conversation_id="conv_1")
        except BadRequestError as error:
            body = error.body if isinstance(error.body, dict) else {}
            return f"400 {body.get('message', error.message)}"
    return "ok"


def main() -> int:
    results = asyncio.run(verdicts())
    for name, verdict in results.items():
        print(f"gated call next to {name}: {'ok' if verdict == 'ok' else 'FAILS, ' + verdict}")
    return 1 if any(verdict != "ok" for verdict in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
