"""The report's live reproduction: reject mixed parallel calls and resume on a real conversation.

For trees without ``integration_tests/``; where that exists, the same scenario lives in
``integration_tests/openai/test_approval_resume_server_conversation.py``. Opt-in only, by
``HITL_LIVE_TESTS=1``: CI exports ``OPENAI_API_KEY=fake-for-tests`` for every test, so a key alone
never starts a live run. With the opt-in, the test talks to the server at ``OPENAI_BASE_URL``
when that is set, for example the loopback stand-in started with
``python -m hitl_testkit.loopback_responses_api``, and otherwise to the Responses API with a real
``OPENAI_API_KEY``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from agents import (
    Agent,
    OpenAIResponsesModel,
    RunConfig,
    RunContextWrapper,
    Runner,
    RunState,
    function_tool,
)

OPT_IN = "HITL_LIVE_TESTS"
# Keys that test environments set and that the real API refuses: upstream's CI and conftest.
PLACEHOLDER_KEYS = frozenset({"", "fake-for-tests", "test_key"})


def live_target(environ: Mapping[str, str]) -> tuple[str | None, str] | None:
    """The base URL and API key to run against, or None unless the run has opted in."""
    if environ.get(OPT_IN) != "1":
        return None
    base_url = environ.get("OPENAI_BASE_URL") or None
    api_key = environ.get("OPENAI_API_KEY", "")
    if base_url is None and api_key in PLACEHOLDER_KEYS:
        return None
    return base_url, api_key or "loopback"


# Read at import, before upstream's conftest can set a placeholder OPENAI_API_KEY.
TARGET = live_target(os.environ)
BASE_URL, API_KEY = TARGET or (None, "")

pytestmark = [
    pytest.mark.group("live"),
    pytest.mark.allow_call_model_methods,
    pytest.mark.skipif(
        TARGET is None,
        reason=f"live test: opt in with {OPT_IN}=1 and either a real OPENAI_API_KEY or "
        "OPENAI_BASE_URL for a stand-in such as `python -m hitl_testkit.loopback_responses_api`",
    ),
]

PROMPT = (
    "Please do all of the following RIGHT NOW in parallel:\n"
    "1. Clean up temp_files\n"
    "2. Run a thermal_snapshot diagnostic\n"
    "3. Clean up winsxs_cache\n"
    "Call all three tools at once."
)


@dataclasses.dataclass
class Ctx:
    web_hitl: bool = False


async def _needs_approval(
    ctx: RunContextWrapper[Ctx], params: dict[str, Any], call_id: str
) -> bool:
    return ctx.context.web_hitl


async def _never_needs_approval(
    ctx: RunContextWrapper[Ctx], params: dict[str, Any], call_id: str
) -> bool:
    return False


@function_tool(needs_approval=_needs_approval)
async def run_cleanup(wrapper: RunContextWrapper[Ctx], target: str) -> str:
    """Run a cleanup operation on the given target. REQUIRES APPROVAL.

    Args:
        target: The name of the cleanup target (e.g. "temp_files", "winsxs_cache").
    """
    return f"Cleaned up {target}"


@function_tool(needs_approval=_never_needs_approval)
async def run_diagnostic(wrapper: RunContextWrapper[Ctx], check_name: str) -> str:
    """Run a read-only diagnostic check. Does NOT require approval.

    Args:
        check_name: Name of the diagnostic to run (e.g. "thermal_snapshot").
    """
    return f"Diagnostic '{check_name}' completed. CPU load: 23%, Temp: 72C."


# No traces: they would go to api.openai.com even when the model is served elsewhere.
RUN_CONFIG = RunConfig(tracing_disabled=True)


def create_agent() -> Agent[Ctx]:
    loopback = BASE_URL is not None and urlsplit(BASE_URL).hostname in {"127.0.0.1", "localhost"}
    client = AsyncOpenAI(
        base_url=BASE_URL,
        api_key=API_KEY,
        max_retries=0,
        # A proxy from the environment must not see loopback traffic.
        http_client=DefaultAsyncHttpxClient(trust_env=False) if loopback else None,
    )
    return Agent[Ctx](
        name="IT_Support_Agent",
        instructions=(
            "You are an IT support assistant. You have two tools:\n"
            "- run_cleanup: performs destructive cleanup (REQUIRES APPROVAL)\n"
            "- run_diagnostic: read-only diagnostic (executes immediately)\n\n"
            "CRITICAL: When asked to do multiple things, call ALL tools in a "
            "SINGLE parallel batch. Never call them one-by-one."
        ),
        model=OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client),
        tools=[run_cleanup, run_diagnostic],
    )


async def test_live_resume_after_rejecting_mixed_parallel_calls_reaches_a_final_output() -> None:
    warm_up = await Runner.run(
        create_agent(),
        "Hello, I might need help with cleanup and diagnostics soon.",
        context=Ctx(web_hitl=False),
        max_turns=3,
        run_config=RUN_CONFIG,
    )
    assert warm_up.last_response_id

    result = None
    for _ in range(5):  # a real model does not always batch the calls
        attempt = Runner.run_streamed(
            create_agent(),
            PROMPT,
            context=Ctx(web_hitl=True),
            max_turns=5,
            previous_response_id=warm_up.last_response_id,
            run_config=RUN_CONFIG,
        )
        async for _event in attempt.stream_events():
            pass
        if len(attempt.interruptions) >= 2:
            result = attempt
            break
    assert result is not None, "the model never made the mixed parallel batch"

    state_string = result.to_state().to_string(
        context_serializer=dataclasses.asdict, strict_context=True
    )
    agent = create_agent()
    state = await RunState.from_string(
        agent,
        state_string,
        context_deserializer=lambda data: Ctx(**data),
        strict_context=True,
    )
    for interruption in state.get_interruptions():
        state.reject(interruption, rejection_message="Not approved.")

    resumed = Runner.run_streamed(agent, state, max_turns=10, run_config=RUN_CONFIG)
    async for _event in resumed.stream_events():
        pass

    assert resumed.final_output
