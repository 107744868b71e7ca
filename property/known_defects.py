"""Upstream defects outside the patch's reach, detected on the installed release.

The patch makes the tracker send every output the SDK produced locally before an interruption.
Two upstream defects lose outputs in ways no change to hydration can reach; where the installed
release has one, the property works around it and its report says so.

- Handoff beside an interruption (before 0.19.0): ``resolve_interrupted_turn`` treats a handoff
  as done when its *call* item is present, which it always is, instead of its output item
  (changed in upstream #3823, first released in 0.19.0). The handoff never runs on resume, so no
  output for it exists: on a server-managed conversation the API answers 400 whatever the tracker
  does. The probe runs such a batch without a server-managed conversation, where the tracker
  plays no part, and the property stops drawing handoffs beside interrupting calls.
- Address reuse on the live path (before 0.17.7): the tracker records sent items as id()
  integers, so a fresh output allocated at a freed item's address is skipped (upstream #3621),
  with or without an interruption. The probe reads the tracker's field type, and the property
  keeps every object the tracker is handed alive for the scenario, which removes address reuse
  and nothing else.

PROPERTY_KNOWN_DEFECTS=1 turns both workarounds off, to show the defects themselves.
"""

from __future__ import annotations

import asyncio
import functools
import os

from resume_runner import REJECTION, ScriptedResponses, build_agents, run
from resume_scenario import Call, Scenario, Turn

from agents import RunConfig
from matrix.plugins.pin_tracker_objects import pinned_tracker_objects, tracks_ids
from release_tests.utils.fake_responses_api import FakeResponsesAPI

HANDOFF_BESIDE_INTERRUPTION = (
    "a handoff in a batch that interrupts never runs on resume "
    "(upstream checks for its call item, not its output; fixed in 0.19.0 by #3823)"
)
ID_REUSE = (
    "the tracker keeps id() integers of sent items on the live path, so a fresh output at a freed "
    "item's address is skipped (upstream #3621, fixed in 0.17.7; left alone by the patch): the "
    "property keeps every object the tracker is handed alive for the scenario, which removes "
    "address reuse and nothing else"
)


async def _handoff_runs_after_interruption() -> bool:
    turn = Turn((Call("call_1a", "gated", False), Call("call_1b", "handoff")), serialise=False)
    scenario = Scenario("local", False, (turn,))
    with FakeResponsesAPI(ScriptedResponses(scenario, warm_up=False)) as api:
        agent = build_agents(api, [], ("plain", "gated", "handoff"))
        run_config = RunConfig(tracing_disabled=True)
        result = await run(agent, "Please do the work.", False, run_config=run_config)
        state = result.to_state()
        for interruption in state.get_interruptions():
            state.reject(interruption, rejection_message=REJECTION)
        resumed = await run(agent, state, False, run_config=run_config)
    return bool(resumed.last_agent.name == "specialist")


@functools.lru_cache(maxsize=1)
def known_defects() -> dict[str, str]:
    """Upstream defects present in the installed release, by the combination they rule out."""
    if os.environ.get("PROPERTY_KNOWN_DEFECTS") == "1":
        return {}
    defects: dict[str, str] = {}
    if tracks_ids():
        defects["id_reuse"] = ID_REUSE
    # The probe runs pinned, so that address reuse cannot decide its verdict.
    with pinned_tracker_objects():
        if not asyncio.run(_handoff_runs_after_interruption()):
            defects["handoff_beside_interruption"] = HANDOFF_BESIDE_INTERRUPTION
    return defects
