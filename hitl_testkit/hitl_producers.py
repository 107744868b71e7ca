"""The producers of test_hitl_server_conversation_producers.py: what the model calls next
to a gated call, how the SDK answers it locally before the run is interrupted, and the answer the
server must receive on resume."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, fields
from importlib.metadata import version
from typing import Any

import pytest
from openai import AsyncOpenAI

from agents import (
    Agent,
    FunctionToolResult,
    LocalShellTool,
    OpenAIResponsesModel,
    RunConfig,
    RunContextWrapper,
    RunItemStreamEvent,
    Runner,
    ShellTool,
    StopAtTools,
    ToolGuardrailFunctionOutput,
    ToolsToFinalOutputResult,
    function_tool,
    handoff,
    tool_input_guardrail,
    tool_output_guardrail,
)

from .fake_responses_api import StrictResponsesAPI
from .wire import call, message, openai_client

GATED = {
    "type": "function_call",
    "call_id": "call_REFUND",
    "name": "issue_refund",
    "arguments": '{"order_id": "order_1"}',
}


def gated_tool(ran: list[str]) -> Any:
    """The tool GATED calls: it needs approval, and records in `ran` that it ran."""

    @function_tool(needs_approval=True)
    def issue_refund(order_id: str) -> str:
        ran.append("issue_refund")
        return f"Refunded {order_id}."

    return issue_refund


async def run_agent(
    agent: Agent[Any],
    input: Any,
    run_config: RunConfig | None = None,
    *,
    streamed: bool,
    item_events: list[str] | None = None,
    **kwargs: Any,
) -> Any:
    """Run to the end through Runner.run, or through Runner.run_streamed with `streamed=True`,
    its events drained and the names of its run item events appended to `item_events`."""
    if not streamed:
        return await Runner.run(agent, input, run_config=run_config, **kwargs)
    result = Runner.run_streamed(agent, input, run_config=run_config, **kwargs)
    async for event in result.stream_events():
        if item_events is not None and isinstance(event, RunItemStreamEvent):
            item_events.append(event.name)
    return result


# The server-managed modes: a conversation_id, a finished first turn's previous_response_id, and
# auto_previous_response_id. conversation_id first: the property's draws shrink towards it, the mode
# in which the documented next turn after a stop tool can be fixed.
MODES = ("conversation_id", "previous_response_id", "auto_previous_response_id")


async def open_conversation(
    agent: Agent[Any], script: Script, run_config: RunConfig, mode: str
) -> dict[str, Any]:
    """What continues a server-managed conversation in ``mode``: a finished first turn's
    ``previous_response_id``, a ``conversation_id``, or ``auto_previous_response_id``."""
    if mode == "previous_response_id":
        script.add(agent.name, [message("Hello! How can I help?")])
        warm_up = await run_agent(agent, "Hello.", run_config, streamed=False)
        return {"previous_response_id": warm_up.last_response_id}
    if mode == "auto_previous_response_id":
        return {"auto_previous_response_id": True}
    return {"conversation_id": f"conv_{agent.name}"}


def first_tool_result_is_final(
    context: RunContextWrapper[Any], results: list[FunctionToolResult]
) -> ToolsToFinalOutputResult:
    return ToolsToFinalOutputResult(is_final_output=True, final_output=results[0].output)


# How a run finishes on the output of its tool `lookup_order`.
TOOL_USE_BEHAVIORS: dict[str, Callable[[], Any]] = {
    "stop_on_first_tool": lambda: "stop_on_first_tool",
    "StopAtTools": lambda: StopAtTools(stop_at_tool_names=["lookup_order"]),
    "ToolsToFinalOutputResult": lambda: first_tool_result_is_final,
}


@dataclass
class ProducerScenario:
    """What the model calls next to the gated refund, and what each call must be answered with."""

    calls: list[dict[str, Any]]
    outputs: dict[str, Any]
    ran_before_interruption: list[str]
    tools: list[Any] = field(default_factory=list)
    handoffs: list[Any] = field(default_factory=list)
    run_config: dict[str, Any] = field(default_factory=dict)
    resumed_by: str = "support"
    tools_at_resume: list[Any] | None = None


class Script:
    """The scripted model: each agent, known by its instructions, answers from its own turns."""

    def __init__(self) -> None:
        self.turns: dict[str, list[list[dict[str, Any]]]] = {}

    def add(self, agent: str, *turns: list[dict[str, Any]]) -> None:
        self.turns.setdefault(agent, []).extend(turns)

    def __call__(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        agent = str(body.get("instructions"))
        assert self.turns.get(agent), f"no scripted turn left for agent {agent!r}"
        return self.turns[agent].pop(0)


@contextlib.asynccontextmanager
async def scripted_server() -> AsyncIterator[tuple[Script, StrictResponsesAPI, AsyncOpenAI]]:
    """The scripted model behind the strict double, and a real AsyncOpenAI client of it."""
    script = Script()
    api = StrictResponsesAPI(script=script)
    async with openai_client(api) as client:
        yield script, api, client


def model(client: AsyncOpenAI) -> OpenAIResponsesModel:
    """The real Responses model on a client of the double (fake_responses_api.openai_client)."""
    return OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client)


def scripted_agent(name: str, client: AsyncOpenAI, **options: Any) -> Agent[Any]:
    """An agent on the double whose turns the script holds under its name, which is also its
    instructions: the script knows an agent by the instructions of the request."""
    return Agent(name=name, instructions=name, model=model(client), **options)


def requires_run_config_field(name: str, feature: str) -> None:
    if name not in {run_config_field.name for run_config_field in fields(RunConfig)}:
        pytest.skip(f"this release has no RunConfig.{name} ({feature})")


def requires_release(minimum: tuple[int, int, int], feature: str) -> None:
    installed = tuple(int(part) for part in re.findall(r"\d+", version("openai-agents"))[:3])
    if installed < minimum:
        pytest.skip(f"this release predates {feature}")


def returning_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    @function_tool
    def order_status(order_id: str) -> str:
        ran.append("order_status")
        return f"Order {order_id} shipped."

    return ProducerScenario(
        calls=[call("call_STATUS", "order_status", {"order_id": "order_1"})],
        outputs={"call_STATUS": "Order order_1 shipped."},
        ran_before_interruption=["order_status"],
        tools=[order_status],
    )


def raising_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    def explain(context: Any, error: Exception) -> str:
        return f"The inventory service failed: {error}"

    @function_tool(failure_error_function=explain)
    def check_inventory(sku: str) -> str:
        ran.append("check_inventory")
        raise RuntimeError(f"{sku} is unknown")

    return ProducerScenario(
        calls=[call("call_STOCK", "check_inventory", {"sku": "sku_9"})],
        outputs={"call_STOCK": "The inventory service failed: sku_9 is unknown"},
        ran_before_interruption=["check_inventory"],
        tools=[check_inventory],
    )


def tool_gone_at_resume(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    scenario = returning_tool(client, script, ran)
    # The tool ran before the interruption, but the agent that resumes no longer offers it, as
    # when an MCP server stops listing a tool or a deployment changes the agent's tools.
    scenario.tools_at_resume = []
    return scenario


def missing_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    requires_run_config_field("tool_not_found_behavior", "added in 0.17.4")
    return ProducerScenario(
        calls=[call("call_GHOST", "cancel_order", {"order_id": "order_1"})],
        outputs={"call_GHOST": "Tool 'cancel_order' not found."},
        ran_before_interruption=[],
        run_config={"tool_not_found_behavior": "return_error_to_model"},
    )


def input_guardrail_rejects(
    client: AsyncOpenAI, script: Script, ran: list[str]
) -> ProducerScenario:
    @tool_input_guardrail
    def no_bulk_exports(data: Any) -> ToolGuardrailFunctionOutput:
        ran.append("no_bulk_exports")
        return ToolGuardrailFunctionOutput.reject_content("Bulk exports are not allowed.")

    @function_tool(tool_input_guardrails=[no_bulk_exports])
    def export_orders(scope: str) -> str:
        ran.append("export_orders")
        return f"Exported {scope}."

    return ProducerScenario(
        calls=[call("call_EXPORT", "export_orders", {"scope": "all"})],
        outputs={"call_EXPORT": "Bulk exports are not allowed."},
        ran_before_interruption=["no_bulk_exports"],
        tools=[export_orders],
    )


def output_guardrail_rejects(
    client: AsyncOpenAI, script: Script, ran: list[str]
) -> ProducerScenario:
    @tool_output_guardrail
    def no_card_numbers(data: Any) -> ToolGuardrailFunctionOutput:
        ran.append("no_card_numbers")
        return ToolGuardrailFunctionOutput.reject_content("Card details withheld.")

    @function_tool(tool_output_guardrails=[no_card_numbers])
    def payment_details(order_id: str) -> str:
        ran.append("payment_details")
        return "Card 4242 4242 4242 4242."

    return ProducerScenario(
        calls=[call("call_PAYMENT", "payment_details", {"order_id": "order_1"})],
        outputs={"call_PAYMENT": "Card details withheld."},
        ran_before_interruption=["payment_details", "no_card_numbers"],
        tools=[payment_details],
    )


def agent_as_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    @function_tool
    def shipping_rates(zone: str) -> str:
        ran.append("shipping_rates")
        return f"Zone {zone}: 5 EUR."

    rates = scripted_agent("rates", client, tools=[shipping_rates])
    script.add(
        "rates",
        [call("call_RATES_INNER", "shipping_rates", {"zone": "eu"})],
        [message("Shipping to the EU costs 5 EUR.")],
    )
    return ProducerScenario(
        calls=[call("call_ASK_RATES", "ask_rates", {"input": "EU shipping?"})],
        outputs={"call_ASK_RATES": "Shipping to the EU costs 5 EUR."},
        ran_before_interruption=["shipping_rates"],
        tools=[rates.as_tool(tool_name="ask_rates", tool_description="Ask about rates.")],
    )


def handoff_next_to_gated_call(
    client: AsyncOpenAI, script: Script, ran: list[str]
) -> ProducerScenario:
    requires_release((0, 19, 0), "resuming a handoff pending next to an approval (0.19.0, #3823)")
    billing = scripted_agent("billing", client)
    script.add("billing", [message("Done.")])
    return ProducerScenario(
        calls=[call("call_TRANSFER", "transfer_to_billing")],
        outputs={"call_TRANSFER": json.dumps({"assistant": "billing"})},
        ran_before_interruption=[],
        handoffs=[handoff(billing)],
        resumed_by="billing",
    )


def local_shell_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    requires_release((0, 20, 0), "RunState keeping local shell outputs (0.20.0, #4320)")

    def execute(request: Any) -> str:
        ran.append("local_shell")
        return "uptime: 3 days"

    local_shell_call = {
        "type": "local_shell_call",
        "id": "lsh_1",
        "call_id": "call_UPTIME",
        "status": "completed",
        "action": {"type": "exec", "command": ["uptime"], "env": {}},
    }
    return ProducerScenario(
        calls=[local_shell_call],
        outputs={"call_UPTIME": "uptime: 3 days"},
        ran_before_interruption=["local_shell"],
        tools=[LocalShellTool(executor=execute)],
    )


def shell_tool(client: AsyncOpenAI, script: Script, ran: list[str]) -> ProducerScenario:
    def execute(request: Any) -> str:
        ran.append("shell")
        return "disk: 40% used"

    shell_call = {
        "type": "shell_call",
        "id": "sh_1",
        "call_id": "call_DISK",
        "status": "completed",
        "action": {"commands": ["df -h"], "timeout_ms": None, "max_output_length": None},
    }
    return ProducerScenario(
        calls=[shell_call],
        outputs={
            "call_DISK": [
                {
                    "stdout": "disk: 40% used",
                    "stderr": "",
                    "outcome": {"type": "exit", "exit_code": 0},
                }
            ]
        },
        ran_before_interruption=["shell"],
        tools=[ShellTool(executor=execute)],
    )


PRODUCERS: dict[str, Callable[[AsyncOpenAI, Script, list[str]], ProducerScenario]] = {
    "returning-tool": returning_tool,
    "raising-tool": raising_tool,
    "input-guardrail": input_guardrail_rejects,
    "output-guardrail": output_guardrail_rejects,
    "agent-as-tool": agent_as_tool,
    "shell-tool": shell_tool,
    "missing-tool": missing_tool,
    "tool-gone-at-resume": tool_gone_at_resume,
    "handoff": handoff_next_to_gated_call,
    "local-shell-tool": local_shell_tool,
}
