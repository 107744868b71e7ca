"""Which tests the matrix runs, and what it expects of them beyond patches/manifest.

Our tests (release_tests/) name their group with `@pytest.mark.group(NAME)`, on the module or on
each case, and the outcomes plugin records it with each outcome (PytestOutcome.groups), so the
tests say which group they belong to and this module needs no list of them. patches/manifest
names, for each release, the groups that fail without the patches; its header says what each
group is.
"""

from __future__ import annotations

from pathlib import Path

from .paths import ROOT
from .pytest_server import PytestOutcome

# The groups that test the tracker directly; every other group goes through the public API
# (Runner over HTTP).
TRACKER_GROUPS = ("tracker", "stale-input-ids", "identity", "guards")
# A run that ended on a tool output, then the next turn: one group per server-managed mode.
NEXT_TURN_PREFIX = "next-turn:"
# The same next turn by a caller who carries the outputs: one group per mode, which never fails.
CARRY_PREFIX = "carry:"
# The next turn the next-turn patches fix: the Conversations API takes the output without a model
# response. On a response chain the API takes no item without a new response (ISSUE.md).
DELIVERED_NEXT_TURN = "next-turn:conversation_id"


def fails_by_design(group: str, *, next_turn_patches: bool) -> bool:
    """Whether a group fails with the release's patches as it fails without them: the next turns
    the release's patches cannot fix."""
    if not group.startswith(NEXT_TURN_PREFIX):
        return False
    return not (next_turn_patches and group == DELIVERED_NEXT_TURN)


def failing_groups(outcome: PytestOutcome) -> tuple[list[str], list[str]]:
    """Our groups that failed, in the order they ran, and a note for each that failed in part."""
    failing = outcome.failing_groups()
    partial = []
    for group in failing:
        nodes = [node for node, name in outcome.groups.items() if name == group]
        failed = [node for node in nodes if node in outcome.failed]
        passed = [node for node in nodes if node in outcome.passed]
        if passed:
            partial.append(f"{group} {len(failed)}/{len(failed) + len(passed)} failed")
    return failing, partial


# Upstream's own tests that fail with the companion patch, by the file revision it applies to:
# they compare the tracker's sent_items with set(), and the companion makes it a dict from id()
# to the object. Each must pass unpatched and with the fix alone, and fails only with the
# companion; the report names them. Any other upstream failure still fails the run. The tests
# came with 0.13.3 (#2800), so 44d0d146 (0.13.0 to 0.13.2) has none.
_SENT_ITEMS_COMPARED_WITH_SET = (
    "tests/test_server_conversation_tracker.py::"
    "test_hydrate_from_state_does_not_track_string_initial_input_by_object_identity",
    "tests/test_server_conversation_tracker.py::"
    "test_hydrate_from_state_does_not_track_list_initial_input_by_object_identity",
)
EXPECTED_WITH_COMPANION: dict[str, tuple[str, ...]] = {
    "0f6a9b1a": _SENT_ITEMS_COMPARED_WITH_SET,
    "233898d5": _SENT_ITEMS_COMPARED_WITH_SET,
    "84d638f7": _SENT_ITEMS_COMPARED_WITH_SET,
    "4a0e0883": _SENT_ITEMS_COMPARED_WITH_SET,
}

UPSTREAM_TESTS = (
    "test_server_conversation_tracker.py",
    "test_hitl_*.py",
    "test_agent_runner.py",
    "test_agent_runner_streamed.py",
)
# Upstream tests for this code: the tracker's and HITL's files, and the runner tests that
# exercise previous_response_id or conversation_id. Matched against test and module names.
UPSTREAM_SELECTION = "tracker or hitl or previous_response or conversation"


def our_test_files() -> list[str]:
    """Our test files, as the matrix drops them into a release tree's tests/."""
    return sorted(f"tests/{path.name}" for path in (ROOT / "release_tests").glob("test_*.py"))


def upstream_test_files(tree: Path) -> list[str]:
    files: list[str] = []
    for pattern in UPSTREAM_TESTS:
        files += sorted(str(p.relative_to(tree)) for p in (tree / "tests").glob(pattern))
    return [f for f in dict.fromkeys(files) if f not in our_test_files()]
