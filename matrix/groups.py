"""Which tests the matrix runs and what it expects of them beyond patches/manifest: our test
groups (files in tests/), upstream's tests, the groups a release's patches cannot fix, and the
upstream tests a companion patch is known to fail.

A group is one file in tests/, except the producers file, where each producer (the test's first
parameter) is a group of its own, `api:<producer>`: the report then says through which producer a
release fails at the public API. Likewise each resumable state of the states file (its test's
first parameter) is a group, `state:<state>`. patches/manifest names, for each release, the groups
that fail without the patch. Add a group here and in patches/manifest's header.
"""

from __future__ import annotations

from pathlib import Path

GROUPS = {
    "tracker": "test_server_conversation_tracker_unsent_outputs.py",
    "batch": "test_hitl_server_conversation_resume.py",
    "live": "test_hitl_server_conversation_live.py",
    "stale-input-ids": "test_server_conversation_tracker_stale_input_ids.py",
    "identity": "test_server_conversation_tracker_object_identity.py",
    "guards": "test_server_conversation_tracker_resume_dedupe.py",
    "compat": "test_hitl_server_conversation_compat.py",
}
PRODUCERS_FILE = "test_hitl_server_conversation_producers.py"
# The keys of PRODUCERS in that file, in its order.
PRODUCER_NAMES = (
    "returning-tool",
    "raising-tool",
    "input-guardrail",
    "output-guardrail",
    "agent-as-tool",
    "shell-tool",
    "missing-tool",
    "tool-gone-at-resume",
    "handoff",
    "local-shell-tool",
)
API_GROUPS = {f"api:{producer}": PRODUCERS_FILE for producer in PRODUCER_NAMES}
STATES_FILE = "test_hitl_server_conversation_states.py"
# The keys of STATES in that file, in its order.
STATE_NAMES = ("finished-on-tool-output", "cancelled-stream", "max-turns-handler")
STATE_GROUPS = {f"state:{state}": STATES_FILE for state in STATE_NAMES}
NEXT_TURN_FILE = "test_hitl_server_conversation_next_turn.py"
# The keys of MODES in that file, in its order.
NEXT_TURN_MODES = ("conversation_id", "previous_response_id", "auto_previous_response_id")
NEXT_TURN_GROUPS = {f"next-turn:{mode}": NEXT_TURN_FILE for mode in NEXT_TURN_MODES}
# The caller who carries the outputs into the next turn, in the same modes: it never fails.
CARRY_FILE = "test_hitl_server_conversation_carry.py"
CARRY_GROUPS = {f"carry:{mode}": CARRY_FILE for mode in NEXT_TURN_MODES}
ALL_GROUPS = (*GROUPS, *API_GROUPS, *STATE_GROUPS, *NEXT_TURN_GROUPS, *CARRY_GROUPS)
# The next-turn groups a release's patches cannot fix: they are measured like the others and
# listed in patches/manifest where they fail unpatched, and they must fail with the patches too,
# so that the run that starts to pass says so. previous_response_id and auto_previous_response_id
# never pass: the API takes no item into a response chain without a new response (ISSUE.md).
# conversation_id passes where the release has the next-turn patches, which deliver the outputs
# through the Conversations API.
CONVERSATION_NEXT_TURN = "next-turn:conversation_id"


def open_groups(has_runner_patches: bool) -> tuple[str, ...]:
    """The groups that fail with the release's patches as they fail without them."""
    fixed = {CONVERSATION_NEXT_TURN} if has_runner_patches else set()
    return tuple(group for group in NEXT_TURN_GROUPS if group not in fixed)


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

# Groups that fail through the public API (Runner over HTTP) rather than at the tracker.
PUBLIC_API_GROUPS = (
    "batch",
    "live",
    "compat",
    *API_GROUPS,
    *STATE_GROUPS,
    *NEXT_TURN_GROUPS,
    *CARRY_GROUPS,
)
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
    names = [*GROUPS.values(), PRODUCERS_FILE, STATES_FILE, NEXT_TURN_FILE, CARRY_FILE]
    return [f"tests/{name}" for name in dict.fromkeys(names)]


def open_case_prefixes(groups: tuple[str, ...]) -> list[str]:
    """Node id prefixes of the cases of groups that fail by design, for pytest's --deselect."""
    test = "test_next_turn_after_a_run_that_ended_on_a_tool_output_reaches_the_server"
    return [
        f"tests/{NEXT_TURN_FILE}::{test}[{group.partition(':')[2]}-"
        for group in groups
        if group in NEXT_TURN_GROUPS
    ]


def upstream_test_files(tree: Path) -> list[str]:
    files: list[str] = []
    for pattern in UPSTREAM_TESTS:
        files += sorted(str(p.relative_to(tree)) for p in (tree / "tests").glob(pattern))
    return [f for f in dict.fromkeys(files) if f not in our_test_files()]


def group_of(node: str) -> str | None:
    filename = node.split("::")[0].rsplit("/", 1)[-1]
    # A file with one group per case: its cases' first parameter names the group.
    for file, prefix, names in (
        (PRODUCERS_FILE, "api", PRODUCER_NAMES),
        (STATES_FILE, "state", STATE_NAMES),
        (NEXT_TURN_FILE, "next-turn", NEXT_TURN_MODES),
        (CARRY_FILE, "carry", NEXT_TURN_MODES),
    ):
        if filename == file:
            parameters = node.partition("[")[2]
            for name in names:
                if parameters.startswith(f"{name}-"):
                    return f"{prefix}:{name}"
            raise ValueError(f"{node}: {prefix} group not in matrix/groups.py")
    for group, name in GROUPS.items():
        if name == filename:
            return group
    return None


def failing_groups(failed: set[str], passed: set[str]) -> tuple[list[str], list[str]]:
    """Our groups that failed, and a note for each group that failed only in part."""
    failing, partial = [], []
    for group in ALL_GROUPS:
        group_failed = [n for n in failed if group_of(n) == group]
        group_passed = [n for n in passed if group_of(n) == group]
        if group_failed:
            failing.append(group)
            if group_passed:
                total = len(group_failed) + len(group_passed)
                partial.append(f"{group} {len(group_failed)}/{total} failed")
    return failing, partial
