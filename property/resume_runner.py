"""Play one scenario through ``Runner`` with the real ``openai`` client and the strict double.

The in-process Responses API double plays the model; each scenario gets a fresh one. The outer
agents (``triage`` and ``specialist``, which hand off to each other and share one set of tools)
get the scenario's batches in order, then a final message. An agent used as a tool has its own
model name, and its inner agent calls its one tool once, with a call id derived from the outer
call's, then answers with a message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI

from agents import Agent, OpenAIResponsesModel, RunConfig, Runner, RunState, function_tool

from .resume_scenario import Call, Scenario, WireIds, inner_call_id
from hitl_testkit.fake_responses_api import Item, StrictResponsesAPI
from hitl_testkit.hitl_producers import run_agent
from hitl_testkit.wire import message, openai_client

OUTER_MODEL = "gpt-4.1-mini"
INNER_MODEL = "gpt-4.1-nano"
REJECTION = "The operator did not approve this call."
FINAL = "Done."
MAX_ROUNDS = 8
TOOL_NAMES = {
    "returning-tool": "plain_tool",
    "gated-tool": "gated_tool",
    "raising-tool": "failing_tool",
    "missing-tool": "no_such_tool",
    "input-guardrail": "blocked_tool",
    "output-guardrail": "redacted_tool",
    "agent-as-tool": "agent_tool",
    "gated-agent-as-tool": "gated_agent_tool",
    "agent-with-gated-tool": "nested_agent_tool",
    "finishing-tool": "finishing_tool",
}
# The user's next turn after a run that ended on a tool output.
NEXT_USER_TURN = "Thanks. What else?"
# An outer call id on the wire (WireIds.wire), as an agent tool's inner model finds it.
CALL_ID = re.compile(r"call_\d[a-z]_p\d+")
# Stream events that name a call of the current turn, seen while its tools still run.
CALL_EVENTS = frozenset({"tool_called", "handoff_requested"})


class UnexpectedInterruption(AssertionError):
    pass


@dataclass
class PlayOutcome:
    """What one scenario did: tool bodies that ran (their tags, wire ids as the tools saw them),
    interruptions met (the scenario's call ids), and how it ended."""

    ids: WireIds
    ran: list[str] = field(default_factory=list)
    rounds: list[list[str]] = field(default_factory=list)
    # The saves besides interruptions, and the next turn: "finished_on_tool", "cancelled_stream"
    # or "next_turn", in order.
    saves: list[str] = field(default_factory=list)
    final_output: Any = None
    last_response_id: str | None = None
    error: BaseException | None = None


class ScriptedResponses:
    """The double's script: the outer model plays the scenario, inner models answer once."""

    def __init__(self, scenario: Scenario, ids: WireIds, *, warm_up: bool) -> None:
        self.turns = [list(turn.calls) for turn in scenario.turns]
        self.ids = ids
        self.warm_up = warm_up

    def __call__(self, body: dict[str, Any]) -> list[Item]:
        if body.get("model") == INNER_MODEL:
            return self._inner(body)
        if self.warm_up:
            self.warm_up = False
            return [message("Hello! What should I do?")]
        if not self.turns:
            return [message(FINAL)]
        return [self._item(call, body) for call in self.turns.pop(0)]

    def _item(self, call: Call, body: dict[str, Any]) -> Item:
        call_id = self.ids.wire(call.call_id)
        if call.producer == "handoff":
            names = [tool.get("name", "") for tool in body.get("tools") or []]
            name = next(name for name in names if name.startswith("transfer_to_"))
            arguments = "{}"
        elif call.producer in {"agent-as-tool", "gated-agent-as-tool", "agent-with-gated-tool"}:
            name, arguments = TOOL_NAMES[call.producer], json.dumps({"input": call_id})
        else:
            name, arguments = TOOL_NAMES[call.producer], json.dumps({"tag": call_id})
        return {
            "type": "function_call",
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
        }

    def _inner(self, body: dict[str, Any]) -> list[Item]:
        text = json.dumps(body.get("input"))
        if '"function_call_output"' in text:
            return [message("inner done")]
        match = CALL_ID.search(text)
        assert match is not None, f"no outer call id in the agent tool's input: {text}"
        tag = self.ids.wire(inner_call_id(self.ids.local(match.group(0))))
        (name,) = [tool["name"] for tool in body.get("tools") or []]
        arguments = json.dumps({"tag": tag})
        return [{"type": "function_call", "call_id": tag, "name": name, "arguments": arguments}]


def build_agents(client: AsyncOpenAI, ran: list[str], producers: tuple[str, ...]) -> Agent[Any]:
    """The starting agent, on ``client``; its tools record the tag of every call whose body runs."""
    outer = OpenAIResponsesModel(model=OUTER_MODEL, openai_client=client)
    inner = OpenAIResponsesModel(model=INNER_MODEL, openai_client=client)

    def record(tag: str) -> str:
        ran.append(tag)
        return f"{tag} finished"

    @function_tool
    def plain_tool(tag: str) -> str:
        return record(tag)

    @function_tool(needs_approval=True)
    def gated_tool(tag: str) -> str:
        return record(tag)

    @function_tool
    def failing_tool(tag: str) -> str:
        record(tag)
        raise RuntimeError(f"{tag} failed")

    @function_tool
    def inner_tool(tag: str) -> str:
        return record(tag)

    tools: list[Any] = [plain_tool, gated_tool, failing_tool]
    if "input-guardrail" in producers:
        tools += guarded_tools(record)
    if "agent-as-tool" in producers:
        helper = Agent(name="helper", model=inner, tools=[inner_tool])
        tools.append(helper.as_tool("agent_tool", "Ask the helper."))
    if "gated-agent-as-tool" in producers:
        helper = Agent(name="gated_helper", model=inner, tools=[inner_tool])
        tools.append(helper.as_tool("gated_agent_tool", "Ask the helper.", needs_approval=True))
    if "agent-with-gated-tool" in producers:

        @function_tool(needs_approval=True)
        def inner_gated_tool(tag: str) -> str:
            return record(tag)

        checker = Agent(name="checker", model=inner, tools=[inner_gated_tool])
        tools.append(checker.as_tool("nested_agent_tool", "Ask the checker."))
    behavior: Any = "run_llm_again"
    if "finishing-tool" in producers:
        from agents import StopAtTools

        @function_tool
        def finishing_tool(tag: str) -> str:
            return record(tag)

        tools.append(finishing_tool)
        behavior = StopAtTools(stop_at_tool_names=["finishing_tool"])
    triage: Agent[Any] = Agent(name="triage", model=outer, tools=tools, tool_use_behavior=behavior)
    specialist: Agent[Any] = Agent(
        name="specialist", model=outer, tools=tools, handoffs=[triage], tool_use_behavior=behavior
    )
    triage.handoffs = [specialist]
    return triage


def guarded_tools(record: Any) -> list[Any]:
    from agents.tool_guardrails import (
        ToolGuardrailFunctionOutput,
        tool_input_guardrail,
        tool_output_guardrail,
    )

    @tool_input_guardrail
    def refuse_input(data: Any) -> ToolGuardrailFunctionOutput:
        return ToolGuardrailFunctionOutput.reject_content("Blocked by the input guardrail.")

    @tool_output_guardrail
    def refuse_output(data: Any) -> ToolGuardrailFunctionOutput:
        return ToolGuardrailFunctionOutput.reject_content("Redacted by the output guardrail.")

    @function_tool(tool_input_guardrails=[refuse_input])
    def blocked_tool(tag: str) -> str:
        return record(tag)

    @function_tool(tool_output_guardrails=[refuse_output])
    def redacted_tool(tag: str) -> str:
        return record(tag)

    return [blocked_tool, redacted_tool]


async def run_cancelling(
    agent: Agent[Any], input: Any, streamed: bool, cancel_on: frozenset[str], **kwargs: Any
) -> tuple[Any, bool]:
    """The run's result, and whether a streamed run was cancelled at the end of a turn that has a
    call of ``cancel_on``."""
    if not streamed or not cancel_on:
        return await run_agent(agent, input, streamed=streamed, **kwargs), False
    result = Runner.run_streamed(agent, input, **kwargs)
    cancelled = False
    async for event in result.stream_events():
        item = getattr(event, "item", None)
        raw = getattr(item, "raw_item", None)
        call = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
        if not cancelled and getattr(event, "name", None) in CALL_EVENTS and call in cancel_on:
            result.cancel(mode="after_turn")
            cancelled = True
    return result, cancelled


async def play(
    scenario: Scenario, producers: tuple[str, ...], ids: WireIds
) -> tuple[StrictResponsesAPI, PlayOutcome]:
    """Run the scenario to its end on a fresh double, its call ids on the wire as ``ids`` says,
    deciding every interruption as the scenario says; the double (with every request it saw) and
    what the run did."""
    script = ScriptedResponses(scenario, ids, warm_up=scenario.mode == "previous_response_id")
    api = StrictResponsesAPI(script)
    outcome = PlayOutcome(ids)
    async with openai_client(api) as client:
        try:
            await _play(client, scenario, producers, outcome)
        except Exception as error:
            outcome.error = error
    return api, outcome


async def _play(
    client: AsyncOpenAI, scenario: Scenario, producers: tuple[str, ...], outcome: PlayOutcome
) -> None:
    ids = outcome.ids
    agent = build_agents(client, outcome.ran, producers)
    settings: dict[str, Any] = {"tracing_disabled": True}
    if "missing-tool" in producers:
        settings["tool_not_found_behavior"] = "return_error_to_model"
    run_config = RunConfig(**settings)
    conversation: dict[str, Any]
    if scenario.mode == "previous_response_id":
        warm_up = await run_agent(agent, "Hello.", run_config, streamed=False)
        conversation = {"previous_response_id": warm_up.last_response_id}
    elif scenario.mode == "conversation_id":
        conversation = {"conversation_id": ids.wire("conv_property")}
    else:
        conversation = {"auto_previous_response_id": True}
    cancel_on: frozenset[str] = frozenset()
    if scenario.cancelled_turn is not None:
        turn = scenario.turns[scenario.cancelled_turn - 1]
        cancel_on = frozenset(ids.wire(call.call_id) for call in turn.calls)
    result, cancelled = await run_cancelling(
        agent,
        "Please do the work.",
        scenario.streamed,
        cancel_on,
        run_config=run_config,
        **conversation,
    )
    decisions = scenario.decisions()
    finishing = [
        f"{ids.wire(call.call_id)} finished"
        for call in scenario.calls()
        if call.producer == "finishing-tool"
    ]
    while True:
        if cancelled:
            outcome.saves.append("cancelled_stream")
            cancel_on = frozenset()
            state = await saved(agent, result, scenario.serialise_ending)
        elif result.interruptions:
            call_ids = [ids.local(item.call_id) for item in result.interruptions]
            outcome.rounds.append(call_ids)
            turn = scenario.turn_of(call_ids[0])
            if len(outcome.rounds) > MAX_ROUNDS or turn is None:
                raise UnexpectedInterruption(f"unexpected interruption for {call_ids}")
            state = await saved(agent, result, turn.serialise)
            for interruption in state.get_interruptions():
                call_id = ids.local(interruption.call_id)
                if call_id not in decisions:
                    raise UnexpectedInterruption(f"unexpected interruption for {call_id}")
                if decisions[call_id]:
                    state.approve(interruption)
                else:
                    state.reject(interruption, rejection_message=REJECTION)
        elif result.final_output in finishing and scenario.ending == "next_turn":
            if "next_turn" in outcome.saves:
                break
            # The next user turn as upstream's docs say, not a resume of the finished state.
            outcome.saves.append("next_turn")
            if scenario.mode != "conversation_id":
                conversation = {"previous_response_id": result.last_response_id}
            result, cancelled = await run_cancelling(
                agent,
                NEXT_USER_TURN,
                scenario.streamed,
                frozenset(),
                run_config=run_config,
                **conversation,
            )
            continue
        elif result.final_output in finishing and "finished_on_tool" not in outcome.saves:
            outcome.saves.append("finished_on_tool")
            state = await saved(agent, result, scenario.serialise_ending)
        else:
            break
        result, cancelled = await run_cancelling(
            agent, state, scenario.streamed, cancel_on, run_config=run_config
        )
    outcome.final_output = result.final_output
    outcome.last_response_id = result.last_response_id


async def saved(agent: Agent[Any], result: Any, serialise: bool) -> Any:
    """The result's state, held in memory or through to_string/from_string."""
    state = result.to_state()
    if serialise:
        state = await RunState.from_string(agent, state.to_string())
    return state
