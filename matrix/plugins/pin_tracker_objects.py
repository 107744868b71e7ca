"""A pytest plugin the matrix loads: no address reuse under our runner-level tests before 0.17.7.

Releases before 0.17.7 record the items a live (not resumed) run has sent as id() integers, so a
fresh output allocated at a freed item's address is skipped (upstream #3621, fixed in 0.17.7 and
not by this package's patch). Under a threaded loopback server, which addresses get reused varies
from run to run, so that defect makes the runner-level tests flaky on those releases, patched or
not. For them, and only for our runner-level tests, this plugin keeps every object passed to or
held by the tracker alive until the test ends: that removes address reuse and changes nothing
else. From 0.17.7 on the tracker holds object references itself, and the plugin does nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Generator, Iterator
from typing import Any

import pytest

RUNNER_LEVEL_TESTS = "test_hitl_server_conversation_"
TRACKER_METHODS = (
    "hydrate_from_state",
    "track_server_items",
    "mark_input_as_sent",
    "rewind_input",
    "prepare_input",
)


def tracks_ids() -> bool:
    """True when the tracker records sent items as id() integers (releases before 0.17.7)."""
    from agents.run_internal.oai_conversation import OpenAIServerConversationTracker

    fields = {
        field.name: str(field.type) for field in dataclasses.fields(OpenAIServerConversationTracker)
    }
    return "int" in fields.get("sent_items", "")


def _reachable(value: Any) -> Iterator[Any]:
    """The value and the items it holds, one level down, as the tracker takes their id()s."""
    yield value
    if isinstance(value, list | tuple):
        yield from value
    output = getattr(value, "output", None)
    if isinstance(output, list):
        yield from output


def _held(tracker: Any) -> Iterator[Any]:
    """What the tracker holds in its containers, such as the sources of prepared items."""
    for value in vars(tracker).values():
        if isinstance(value, dict):
            yield from value.values()
        elif isinstance(value, list):
            yield value


@contextlib.contextmanager
def pinned_tracker_objects() -> Iterator[list[Any]]:
    """Keep alive every object passed to or returned by the tracker until the block ends."""
    from agents.run_internal.oai_conversation import OpenAIServerConversationTracker as tracker

    pinned: list[Any] = []
    originals = {name: getattr(tracker, name) for name in TRACKER_METHODS if hasattr(tracker, name)}

    def wrap(method: Any) -> Any:
        @functools.wraps(method)
        def pinning(self: Any, *args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values(), *_held(self)):
                pinned.extend(_reachable(value))
            result = method(self, *args, **kwargs)
            for value in (result, *_held(self)):
                pinned.extend(_reachable(value))
            return result

        return pinning

    for name, method in originals.items():
        setattr(tracker, name, wrap(method))
    try:
        yield pinned
    finally:
        for name, method in originals.items():
            setattr(tracker, name, method)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    if RUNNER_LEVEL_TESTS in item.nodeid and tracks_ids():
        with pinned_tracker_objects():
            return (yield)
    return (yield)
