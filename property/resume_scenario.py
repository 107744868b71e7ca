"""The conversations the property draws, and how a reviewer reads one.

A scenario is a short conversation on a server-managed run: one to three model turns, each a
parallel batch of calls. Every call names the producer of its output (a plain tool, a gated
tool, a tool that raises, a tool that does not exist, a handoff, an agent used as a tool, and
so on), and every call that can interrupt the run carries the decision taken on it. The scenario
also fixes the server-managed mode, whether the run is streamed, whether the run state is
serialised and restored when a turn interrupts, and how the run ends: on the model's message; on
a tool's output, followed by the next user turn as upstream's docs say (the same conversation_id,
or previous_response_id=result.last_response_id, plus new input); on a tool's output, its finished
state resumed; or with a streamed run cancelled at the end of a turn and resumed.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from hypothesis import strategies as st

from hitl_testkit.hitl_producers import MODES

# Producers, simplest first: Hypothesis shrinks a choice towards the front of the list.
PROPERTY_PRODUCERS: dict[str, str] = {
    "returning-tool": "function tool that returns",
    "gated-tool": "function tool with needs_approval=True",
    "raising-tool": "function tool that raises (failure_error_function answers)",
    "missing-tool": "call to a tool that does not exist (tool_not_found_behavior)",
    "handoff": "handoff to the other agent",
    "input-guardrail": "function tool whose input guardrail rejects the call",
    "output-guardrail": "function tool whose output guardrail rejects the result",
    "agent-as-tool": "agent as a tool (Agent.as_tool), inner agent calls a plain tool",
    "gated-agent-as-tool": "agent as a tool with needs_approval=True",
    "agent-with-gated-tool": "agent as a tool whose inner agent calls a gated tool",
    "finishing-tool": "function tool in StopAtTools: the run finishes on its output (last turn)",
}
# Producers whose call (or whose inner agent's call) interrupts the run for a decision.
INTERRUPTING = frozenset({"gated-tool", "gated-agent-as-tool", "agent-with-gated-tool"})
# How the run ends, simplest first: on the model's message; on a tool's output, then the next
# user turn as the docs say; on a tool's output, its finished state resumed; a streamed run
# cancelled at the end of a turn (`cancel(mode="after_turn")`) and resumed.
ENDINGS = ("message", "next_turn", "finished_on_tool", "cancelled_stream")
# The endings whose run finishes on the finishing tool's output.
FINISHING_ENDINGS = ("next_turn", "finished_on_tool")


def inner_call_id(call_id: str) -> str:
    """The call id the inner agent of an agent tool uses for its own call, from the outer one."""
    return f"{call_id}_in"


@dataclass(frozen=True)
class WireIds:
    """Where one play's call ids live on the wire: the scenario's own, suffixed with the play's
    serial (``call_1a`` is ``call_1a_p7`` in play 7).

    A real server never reuses a call id across conversations, and the SDK leans on that: it
    keeps agent tools' pending runs process-wide, found again by the call's id and signature, and
    a later play that reused ``call_1a`` could pick up an earlier play's entry. Every id that goes
    out (calls, the tags tools record, an agent tool's input, the conversation id) is
    ``wire(id)``; every id that comes back (interruptions, stream events, the double's contexts,
    error messages) is read with ``local(text)``, so scenarios and reports keep the short ids.
    """

    serial: int

    def wire(self, call_id: str) -> str:
        return f"{call_id}_p{self.serial}"

    def local(self, text: str) -> str:
        """``text`` with this play's wire ids as the scenario's ids; anything else unchanged."""
        return re.sub(rf"_p{self.serial}(?!\d)", "", text)


@dataclass(frozen=True)
class Call:
    call_id: str
    producer: str
    approve: bool | None = None

    @property
    def inner_call_id(self) -> str | None:
        """The call id the inner agent of an agent tool uses for its own tool call."""
        return inner_call_id(self.call_id) if self.producer in AGENT_PRODUCERS else None

    @property
    def decision_call_id(self) -> str | None:
        """The call id of the interruption this call raises, if it raises one."""
        if self.producer == "agent-with-gated-tool":
            return self.inner_call_id
        return self.call_id if self.producer in INTERRUPTING else None

    def expected_runs(self) -> set[str]:
        """Tags of the tool bodies that must run exactly once for this call."""
        returning = {"returning-tool", "raising-tool", "output-guardrail", "finishing-tool"}
        if self.producer in returning:
            return {self.call_id}
        if self.producer == "gated-tool":
            return {self.call_id} if self.approve else set()
        if self.producer == "agent-as-tool":
            return {inner_call_id(self.call_id)}
        if self.producer in {"gated-agent-as-tool", "agent-with-gated-tool"}:
            return {inner_call_id(self.call_id)} if self.approve else set()
        return set()

    def render(self) -> str:
        if self.approve is None:
            return f"{self.call_id} {self.producer}"
        return f"{self.call_id} {self.producer} ({'approved' if self.approve else 'rejected'})"


AGENT_PRODUCERS = frozenset({"agent-as-tool", "gated-agent-as-tool", "agent-with-gated-tool"})


@dataclass(frozen=True)
class Turn:
    calls: tuple[Call, ...]
    serialise: bool

    @property
    def interrupts(self) -> bool:
        return any(call.producer in INTERRUPTING for call in self.calls)


@dataclass(frozen=True)
class Scenario:
    mode: str
    streamed: bool
    turns: tuple[Turn, ...]
    ending: str = "message"
    # For "cancelled_stream": the turn after which the run is cancelled (1-based).
    cancelled_turn: int | None = None
    # Whether the state saved at the ending goes through to_string/from_string.
    serialise_ending: bool = False

    def calls(self) -> list[Call]:
        return [call for turn in self.turns for call in turn.calls]

    def decisions(self) -> dict[str, bool]:
        """Approval decision by the call id of each interruption the scenario expects."""
        return {
            call.decision_call_id: bool(call.approve)
            for call in self.calls()
            if call.decision_call_id is not None
        }

    def turn_of(self, call_id: str) -> Turn | None:
        for turn in self.turns:
            if any(call_id in {call.call_id, call.inner_call_id} for call in turn.calls):
                return turn
        return None

    def __repr__(self) -> str:
        turns = "; ".join(
            ", ".join(call.render() for call in turn.calls) + (" [serialised]" * turn.serialise)
            for turn in self.turns
        )
        ending = "" if self.ending == "message" else f" then {self.ending}"
        if self.cancelled_turn is not None:
            ending += f" after turn {self.cancelled_turn}"
        ending += " [serialised]" * self.serialise_ending
        return f"<{self.mode}, {'run_streamed' if self.streamed else 'run'}: {turns}{ending}>"

    def render(self) -> str:
        """A reading of the scenario that fits on a screen."""
        lines = [
            f"mode:     {self.mode}",
            f"runner:   {'Runner.run_streamed' if self.streamed else 'Runner.run'}",
        ]
        for number, turn in enumerate(self.turns, start=1):
            batch = " | ".join(call.render() for call in turn.calls)
            state = ""
            if turn.interrupts:
                state = (
                    "  -> interrupts; state to_string/from_string"
                    if turn.serialise
                    else "  -> interrupts; state resumed in memory"
                )
            if number == self.cancelled_turn:
                state += "  -> cancelled after this turn; state resumed"
            lines.append(f"turn {number}:   {batch}{state}")
        if self.ending == "finished_on_tool":
            lines.append("          -> run finishes on the finishing tool's output; state resumed")
        if self.ending == "next_turn":
            lines.append("          -> run finishes on the finishing tool's output; next user turn")
        if self.serialise_ending:
            lines[-1] += " after to_string/from_string"
        lines.append(f"turn {len(self.turns) + 1}:   assistant message 'Done.'")
        return "\n".join(lines)


def call_id(turn: int, index: int) -> str:
    return f"call_{turn}{string.ascii_lowercase[index]}"


def _handoff_beside_interruption(kinds: list[str]) -> bool:
    return "handoff" in kinds and any(kind in INTERRUPTING for kind in kinds)


@st.composite
def turns(
    draw: st.DrawFn,
    number: int,
    producers: tuple[str, ...],
    *,
    interrupts: bool,
    handoff_beside_interruption: bool,
) -> Turn:
    """One batch; with ``interrupts``, one of its calls is sure to interrupt the run."""
    gates = [kind for kind in producers if kind in INTERRUPTING]
    interrupts = interrupts and bool(gates)
    batches = st.lists(st.sampled_from(producers), min_size=0 if interrupts else 1, max_size=3)
    if not handoff_beside_interruption:
        batches = batches.filter(
            lambda kinds: not _handoff_beside_interruption(kinds + gates[:1] * interrupts)
        )
    kinds = draw(batches)
    if interrupts:
        kinds.insert(draw(st.integers(0, len(kinds))), draw(st.sampled_from(gates)))
    calls = tuple(
        Call(
            call_id(number, index),
            kind,
            draw(st.booleans()) if kind in INTERRUPTING else None,
        )
        for index, kind in enumerate(kinds)
    )
    serialise = draw(st.booleans()) if any(kind in INTERRUPTING for kind in kinds) else False
    return Turn(calls, serialise)


@st.composite
def scenarios(
    draw: st.DrawFn,
    producers: tuple[str, ...],
    modes: tuple[str, ...] = MODES,
    endings: tuple[str, ...] = ENDINGS,
    *,
    handoff_beside_interruption: bool = True,
    next_turn_modes: tuple[str, ...] = MODES,
) -> Scenario:
    """Saved and resumed conversations over the given producers.

    A scenario that ends on the model's message has at least one interrupting turn; the other
    endings save the run anyway, so their turns may all run through. Keep ``producers``,
    ``modes`` and ``endings`` in the order of PROPERTY_PRODUCERS, MODES and ENDINGS: Hypothesis
    shrinks a choice towards the front.
    """
    mode = draw(st.sampled_from(modes))
    ending = draw(
        st.sampled_from(
            [e for e in endings if e != "next_turn" or mode in next_turn_modes] or ["message"]
        )
    )
    streamed = True if ending == "cancelled_stream" else draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=3))
    lowest = 1 if ending == "message" else 0
    interrupting = draw(st.integers(min_value=lowest, max_value=count))
    batch_producers = tuple(kind for kind in producers if kind != "finishing-tool")
    drawn = [
        draw(
            turns(
                number,
                batch_producers,
                interrupts=number == interrupting,
                handoff_beside_interruption=handoff_beside_interruption,
            )
        )
        for number in range(1, count + 1)
    ]
    cancelled_turn = None
    if ending in FINISHING_ENDINGS:
        last = drawn[-1]
        kinds = [call.producer for call in last.calls if call.producer != "handoff"]
        calls = [call for call in last.calls if call.producer != "handoff"]
        finishing = Call(call_id(count, len(last.calls)), "finishing-tool")
        calls.insert(draw(st.integers(0, len(kinds))), finishing)
        drawn[-1] = Turn(tuple(calls), last.serialise)
    elif ending == "cancelled_stream":
        quiet = [n for n, turn in enumerate(drawn, start=1) if not turn.interrupts]
        if not quiet:
            ending = "message"
        else:
            cancelled_turn = draw(st.sampled_from(quiet))
    serialise_ending = ending not in {"message", "next_turn"} and draw(st.booleans())
    return Scenario(mode, streamed, tuple(drawn), ending, cancelled_turn, serialise_ending)
