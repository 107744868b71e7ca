"""Which producers and modes the installed openai-agents release can express.

Each probe looks at the public API (signatures and dataclass fields), never at a version number,
so a release that lacks a feature leaves its producer out of the search instead of failing.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
from typing import Any

from .resume_scenario import ENDINGS, MODES, PROPERTY_PRODUCERS


def sdk_version() -> str:
    return importlib.metadata.version("openai-agents")


def _parameters(function: Any) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _has_tool_guardrails() -> bool:
    try:
        from agents import tool_guardrails
    except ImportError:
        return False
    from agents import function_tool

    names = {"tool_input_guardrail", "tool_output_guardrail", "ToolGuardrailFunctionOutput"}
    return all(hasattr(tool_guardrails, name) for name in names) and {
        "tool_input_guardrails",
        "tool_output_guardrails",
    } <= _parameters(function_tool)


def _supports_nested_interruptions() -> bool:
    """Agent tools surface their inner run's approvals as the outer run's interruptions."""
    from agents import Agent

    try:
        source = inspect.getsource(Agent.as_tool)
    except (OSError, TypeError):
        return False
    return "interruptions" in source


def missing_producers() -> dict[str, str]:
    """Producers this release cannot express, each with the reason."""
    from agents import Agent, RunConfig, function_tool

    missing: dict[str, str] = {}
    if "needs_approval" not in _parameters(function_tool):
        missing["gated-tool"] = "function_tool has no needs_approval"
    fields = {field.name for field in dataclasses.fields(RunConfig)}
    if "tool_not_found_behavior" not in fields:
        missing["missing-tool"] = "RunConfig has no tool_not_found_behavior"
    if not _has_tool_guardrails():
        missing["input-guardrail"] = missing["output-guardrail"] = "no tool input/output guardrails"
    if not hasattr(Agent, "as_tool"):
        missing["agent-as-tool"] = "Agent has no as_tool"
    if "needs_approval" not in _parameters(getattr(Agent, "as_tool", None)):
        missing["gated-agent-as-tool"] = "Agent.as_tool has no needs_approval"
    if not _supports_nested_interruptions():
        missing["agent-with-gated-tool"] = "Agent.as_tool does not surface nested interruptions"
    try:
        from agents import StopAtTools  # noqa: F401
    except ImportError:
        missing["finishing-tool"] = "no StopAtTools"
    return missing


def supported_producers() -> tuple[str, ...]:
    missing = missing_producers()
    return tuple(name for name in PROPERTY_PRODUCERS if name not in missing)


def supported_modes() -> tuple[str, ...]:
    from agents import Runner

    if "auto_previous_response_id" in _parameters(Runner.run):
        return MODES
    return tuple(mode for mode in MODES if mode != "auto_previous_response_id")


def supported_endings(producers: tuple[str, ...]) -> tuple[str, ...]:
    """How a run can be saved besides at interruptions, on this release."""
    from agents.result import RunResultStreaming

    missing = set()
    if "finishing-tool" not in producers:
        missing.update({"finished_on_tool", "next_turn"})
    if "mode" not in _parameters(RunResultStreaming.cancel):
        missing.add("cancelled_stream")
    return tuple(ending for ending in ENDINGS if ending not in missing)
