"""Upstream defects outside the patch's reach, detected on the installed release.

The patch makes the tracker send every output the SDK produced locally before an interruption.
An upstream defect loses outputs in a way no change to hydration can reach; where the installed
release has it, the property works around it and pytest's header says so.

- Handoff beside an interruption (before 0.19.0): ``resolve_interrupted_turn`` treats a handoff
  as done when its *call* item is present, which it always is, instead of its output item
  (changed in upstream #3823, first released in 0.19.0). The handoff never runs on resume, so no
  output for it exists: on a server-managed conversation the API answers 400 whatever the tracker
  does. The probe runs such a batch without a server-managed conversation, where the tracker
  plays no part, and the property stops drawing handoffs beside interrupting calls.

- The next turn on a response chain (previous_response_id, auto_previous_response_id) after a run
  that ended on a tool output: the API takes no item into a chain without a new response, so the
  output can reach the server only with the caller's next input, and a next turn made as the docs
  say is rejected whatever the SDK does (ISSUE.md). The property draws the next turn on
  conversation_id only.
- The next turn on conversation_id where the package carries no next-turn patches for the release
  (patches/manifest): the property does not draw the next turn at all there.

pytest's --property-known-defects turns the workarounds off, to show the defect itself.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata

import releases
from agents import RunConfig

from .resume_runner import REJECTION, ScriptedResponses, build_agents
from .resume_scenario import Call, Scenario, Turn, WireIds
from hitl_testkit.fake_responses_api import StrictResponsesAPI
from hitl_testkit.hitl_producers import run_agent
from hitl_testkit.wire import openai_client

HANDOFF_BESIDE_INTERRUPTION = (
    "a handoff in a batch that interrupts never runs on resume "
    "(upstream checks for its call item, not its output; fixed in 0.19.0 by #3823)"
)


async def _handoff_runs_after_interruption() -> bool:
    turn = Turn((Call("call_1a", "gated-tool", False), Call("call_1b", "handoff")), serialise=False)
    scenario = Scenario("local", False, (turn,))
    # Play 0: the property's own plays are numbered from 1.
    api = StrictResponsesAPI(ScriptedResponses(scenario, WireIds(0), warm_up=False))
    async with openai_client(api) as client:
        agent = build_agents(client, [], ("returning-tool", "gated-tool", "handoff"))
        run_config = RunConfig(tracing_disabled=True)
        result = await run_agent(agent, "Please do the work.", run_config, streamed=False)
        state = result.to_state()
        for interruption in state.get_interruptions():
            state.reject(interruption, rejection_message=REJECTION)
        resumed = await run_agent(agent, state, run_config, streamed=False)
    return bool(resumed.last_agent.name == "specialist")


NEXT_TURN_ON_RESPONSE_CHAIN = (
    "the API takes no item into a response chain without a new response, so the next turn on "
    "previous_response_id after a run that ended on a tool output is rejected (ISSUE.md)"
)
NEXT_TURN_WITHOUT_RUNNER_PATCHES = (
    "the package has no next-turn patches for this release, so the next turn on conversation_id "
    "after a run that ended on a tool output is rejected (patches/manifest)"
)


@functools.lru_cache(maxsize=1)
def known_defects() -> dict[str, str]:
    """Upstream defects present in the installed release, by the combination they rule out."""
    defects: dict[str, str] = {"next_turn_on_response_chain": NEXT_TURN_ON_RESPONSE_CHAIN}
    if not asyncio.run(_handoff_runs_after_interruption()):
        defects["handoff_beside_interruption"] = HANDOFF_BESIDE_INTERRUPTION
    release = importlib.metadata.version("openai-agents")
    manifest = releases.read_manifest()
    if release not in manifest or not manifest[release].next_turn_files:
        defects["next_turn_without_runner_patches"] = NEXT_TURN_WITHOUT_RUNNER_PATCHES
    return defects
