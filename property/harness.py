"""The property on the installed release: what it draws, how it checks one scenario, and the
report it leaves.

conftest.py builds one ``ResumeProperty`` per pytest session from the run's options and hands
it to the test as a fixture. Each ``check`` plays the scenario on a fresh in-process double,
with call ids of its own on the wire (``WireIds``), and raises ``PropertyBroken`` with the
readable report when the property does not hold.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import strategies as st

from .known_defects import known_defects
from .resume_report import failure_text, legend, problems, write_property_report
from .resume_runner import play
from .resume_scenario import PROPERTY_PRODUCERS, Scenario, WireIds, scenarios
from .sdk_features import (
    missing_producers,
    sdk_version,
    supported_endings,
    supported_modes,
    supported_producers,
)


class PropertyBroken(AssertionError):
    """The played scenario broke the property; the message is the readable report."""


class ResumeProperty:
    """The property over what the installed release supports, less ``without``; with
    ``work_around``, known upstream defects are kept out of the search.

    Not a dataclass: Hypothesis shows a dataclass field by field in a falsifying example, and
    this object is the test's fixture, shown beside the scenario.
    """

    def __init__(self, *, without: frozenset[str], work_around: bool, report: Path | None) -> None:
        unknown = without - set(PROPERTY_PRODUCERS)
        if unknown:
            raise ValueError(
                f"unknown producers {sorted(unknown)}; known: {', '.join(PROPERTY_PRODUCERS)}"
            )
        self.release = sdk_version()
        self.producers = tuple(name for name in supported_producers() if name not in without)
        self.modes = supported_modes()
        self.endings = supported_endings(self.producers)
        # Upstream defects worked around on this release, by the combination they rule out.
        self.defects = known_defects() if work_around else {}
        self.without = without
        # Where the report goes; none is written without one.
        self.report = report
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

    # -- the report (the matrix asks for build/property-<release>.md)

    def write_report(self, body: str) -> None:
        """Write the report with ``body`` first, then the producers and the workarounds."""
        if self.report is None:
            return
        body = f"{body.rstrip()}\n\nproducers:\n{legend(self.producers)}\n"
        if self.without:
            body += f"\nleft out on request: {', '.join(sorted(self.without))}\n"
        if self.defects:
            body += "\nworked around on this release (upstream defects out of the patch's reach):\n"
            body += "".join(f"  {name}: {reason}\n" for name, reason in self.defects.items())
        write_property_report(
            self.report,
            release=self.release,
            producers=self.producers,
            missing=missing_producers(),
            body=body,
        )


def failure_body(error: BaseException) -> str:
    """What the report says about a failed run: the minimal failing scenario when the property
    broke (Hypothesis raises the shrunk example's error last, one per distinct failure), else the
    error, its notes and what it holds (a flaky failure holds the run that failed first)."""
    if isinstance(error, PropertyBroken):
        return f"FAILED: the minimal failing scenario Hypothesis found\n\n{error}"
    inner = list(getattr(error, "exceptions", ()))
    if type(error).__name__ == "ExceptionGroup" and all(
        isinstance(e, PropertyBroken) for e in inner
    ):
        found = "\n\n".join(str(e) for e in inner)
        return f"FAILED: {len(inner)} distinct minimal failing scenarios found\n\n{found}"
    text = f"FAILED: {type(error).__name__}: {error}"
    text += "".join(f"\n{note}" for note in getattr(error, "__notes__", []))
    return text + "".join(f"\n\n{type(e).__name__}: {e}" for e in inner)
