"""The property on the installed release: what it draws, and how it checks one scenario.

conftest.py builds one ``ResumeProperty`` per pytest session from the run's options and hands
it to the test as a fixture. Each ``check`` plays the scenario on a fresh in-process double,
with call ids of its own on the wire (``WireIds``), and raises ``PropertyBroken`` with the
scenario and what broke when the property does not hold.
"""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import strategies as st

from .known_defects import known_defects
from .resume_report import failure_text, problems
from .resume_runner import play
from .resume_scenario import Scenario, WireIds, scenarios
from .sdk_features import sdk_version, supported_endings, supported_modes, supported_producers


class PropertyBroken(AssertionError):
    """The played scenario broke the property; the message is the scenario and what broke."""


class ResumeProperty:
    """The property over what the installed release supports, less ``without``; with
    ``work_around``, known upstream defects are kept out of the search.

    Not a dataclass: Hypothesis shows a dataclass field by field in a falsifying example, and
    this object is the test's fixture, shown beside the scenario.
    """

    def __init__(self, *, without: frozenset[str], work_around: bool) -> None:
        self.release = sdk_version()
        self.producers = tuple(name for name in supported_producers() if name not in without)
        self.modes = supported_modes()
        self.endings = supported_endings(self.producers)
        # Upstream defects worked around on this release, by the combination they rule out.
        self.defects = known_defects() if work_around else {}
        # Play numbers, for the call ids each play puts on the wire.
        self.plays = itertools.count(1)

    def __repr__(self) -> str:
        return f"<the resume property on openai-agents {self.release}>"

    def scenarios(self) -> st.SearchStrategy[Scenario]:
        return scenarios(
            self.producers,
            self.modes,
            self.endings,
            handoff_beside_interruption="handoff_beside_interruption" not in self.defects,
            next_turn_modes=self.next_turn_modes(),
        )

    def next_turn_modes(self) -> tuple[str, ...]:
        """The modes in which the property draws the next turn after a stop tool."""
        if "next_turn_without_runner_patches" in self.defects:
            return ()
        if "next_turn_on_response_chain" in self.defects:
            return ("conversation_id",)
        return self.modes

    def check(self, scenario: Scenario) -> None:
        """Play the scenario on a fresh double; raise PropertyBroken if the property broke."""
        ids = WireIds(next(self.plays))
        api, outcome = asyncio.run(play(scenario, self.producers, ids))
        found = problems(api, scenario, outcome)
        if found:
            raise PropertyBroken(failure_text(api, scenario, outcome, found))
