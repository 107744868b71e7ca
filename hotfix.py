"""Check, apply, verify and undo the oai_conversation.py fix on an installed openai-agents.

Run it from a checkout with the Python of the environment to fix; it needs only the standard
library and releases.py, next to it, which reads the manifest and the patches:

    .venv/bin/python hotfix.py status
    .venv/bin/python hotfix.py apply
    .venv/bin/python hotfix.py apply --fix-only
    .venv/bin/python hotfix.py verify
    .venv/bin/python hotfix.py revert

Releases before 0.17.7 also take a companion patch (patches/manifest names it), which keeps the
objects the tracker records by id() alive (upstream #3621): `apply` puts on the fix and the
companion, `apply --fix-only` the fix alone, and `apply` on a file with the fix alone adds the
companion. The patches are chosen by the release, and the installed file's git blob must be one of
the states they define (the release's file, the fix, the fix and its companion); anything else is
refused and nothing is written. The new file is computed whole and replaced atomically, in one
write, so an install is never left half-patched.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

# The manifest and the patches are read by releases.py, next to this file: run as a script, this
# file's directory comes first on sys.path.
from releases import (
    MODULE,
    PATCHES,
    Patch,
    PatchError,
    Release,
    apply_hunks,
    git_blob,
    read_patch,
    release_for,
    write_atomically,
)


class HotfixError(PatchError):
    """A refusal of the command line: the message says why, and nothing was changed."""


UNPATCHED, FIX, FIX_AND_COMPANION = "unpatched", "fix", "fix+companion"


@dataclass(frozen=True)
class Fix:
    """A release's patch and, for releases before 0.17.7, the companion applied on top of it."""

    patch: Patch
    companion: Patch | None

    @property
    def names(self) -> str:
        return " and ".join(p.path.name for p in (self.patch, self.companion) if p is not None)

    @property
    def full(self) -> str:
        """The state `apply` brings the file to."""
        return FIX if self.companion is None else FIX_AND_COMPANION

    def blobs(self) -> dict[str, str]:
        """Each state's git blob, by state."""
        blobs = {UNPATCHED: self.patch.base_blob, FIX: self.patch.fixed_blob}
        if self.companion is not None:
            blobs[FIX_AND_COMPANION] = self.companion.fixed_blob
        return blobs


def read_fix(release: Release) -> Fix:
    """The release's patch and companion, checked to follow each other."""
    patch = read_patch_file(release.patch)
    companion = None if release.companion is None else read_patch_file(release.companion)
    if companion is not None and companion.base_blob != patch.fixed_blob:
        raise HotfixError(
            f"{companion.path.name} applies to blob {companion.base_blob[:8]}, not to "
            f"{patch.path.name}'s result ({patch.fixed_blob[:8]}); nothing changed"
        )
    return Fix(patch, companion)


def read_patch_file(name: str) -> Patch:
    path = PATCHES / name
    if not path.is_file():
        raise HotfixError(f"patches/{name}, named by patches/manifest, is missing; nothing changed")
    return read_patch(path)


def installed_module() -> tuple[str, Path]:
    try:
        version = importlib.metadata.version("openai-agents")
    except importlib.metadata.PackageNotFoundError:
        raise HotfixError(f"openai-agents is not installed for {sys.executable}") from None
    spec = importlib.util.find_spec("agents")
    if spec is None or not spec.submodule_search_locations:
        raise HotfixError(f"the 'agents' package cannot be found by {sys.executable}")
    path = Path(next(iter(spec.submodule_search_locations))).parent / MODULE
    if not path.is_file():
        raise HotfixError(f"{path} does not exist; openai-agents {version} predates the tracker")
    return version, path


def file_state(path: Path, fix: Fix) -> str:
    """Return the file's state (UNPATCHED, FIX, FIX_AND_COMPANION), or raise for any other file."""
    blob = git_blob(path.read_bytes())
    known = fix.blobs()
    for state, state_blob in known.items():
        if blob == state_blob:
            return state
    fixed = f"the fixed one ({known[FIX][:8]})"
    if FIX_AND_COMPANION in known:
        fixed += f" nor the fixed one with its companion ({known[FIX_AND_COMPANION][:8]})"
    raise HotfixError(
        f"{path} has blob {blob[:8]}, which is neither the release's file "
        f"({known[UNPATCHED][:8]}) nor {fixed}: it was modified locally or belongs to another "
        "release; nothing changed"
    )


def resolve(version: str | None, path: Path | None) -> tuple[str, Path, Fix]:
    if path is None:
        installed_version, path = installed_module()
        version = version or installed_version
    assert version is not None
    return version, path, read_fix(release_for(version))


def status(version: str, path: Path, fix: Fix) -> str:
    state = file_state(path, fix)
    if state == UNPATCHED:
        return (
            f"openai-agents {version}: AFFECTED, unpatched; fix with `hotfix.py apply` "
            f"({fix.names}, {path})"
        )
    if state == FIX and fix.companion is not None:
        return (
            f"openai-agents {version}: patched with {fix.patch.path.name} only; without "
            f"{fix.companion.path.name} a live run can still drop a tool output (upstream "
            f"#3621): add it with `hotfix.py apply` ({path})"
        )
    return f"openai-agents {version}: patched with {fix.names} ({path})"


def apply(version: str, path: Path, fix: Fix, *, fix_only: bool = False) -> str:
    """Bring the file to the fix and its companion (or, with fix_only, the fix alone)."""
    state = file_state(path, fix)
    target = FIX if fix_only else fix.full
    if state == target:
        applied = fix.patch.path.name if target == FIX else fix.names
        raise HotfixError(
            f"openai-agents {version} is already patched with {applied} ({path}); nothing changed"
        )
    if state == FIX_AND_COMPANION:
        raise HotfixError(
            f"openai-agents {version} is patched with {fix.names} ({path}); to keep the fix "
            "alone, run `hotfix.py revert` first; nothing changed"
        )
    steps = [fix.patch] if state == UNPATCHED else []
    if target == FIX_AND_COMPANION:
        assert fix.companion is not None
        steps.append(fix.companion)
    text = path.read_text()
    for patch in steps:
        text = apply_hunks(text, patch)
    write_atomically(path, text, fix.blobs()[target])
    return f"openai-agents {version}: applied {' and '.join(p.path.name for p in steps)} to {path}"


def revert(version: str, path: Path, fix: Fix) -> str:
    """Bring the file back to the release's own, from the fix alone or with its companion."""
    state = file_state(path, fix)
    if state == UNPATCHED:
        raise HotfixError(f"openai-agents {version} is not patched ({path}); nothing changed")
    steps = [fix.patch] if state == FIX else [fix.companion, fix.patch]
    text = path.read_text()
    for patch in steps:
        assert patch is not None
        text = apply_hunks(text, patch, reverse=True)
    write_atomically(path, text, fix.blobs()[UNPATCHED])
    names = " and ".join(p.path.name for p in steps if p is not None)
    return f"openai-agents {version}: reverted {names} from {path}"


def verify() -> str:
    """Replay the report's scenario against the imported SDK: through Runner, then the tracker."""
    try:
        failures = [failure for failure in _replay_through_runner() if failure]
        tracker = _replay_report_scenario()
    except HotfixError:
        raise
    except Exception as error:
        import openai

        summary = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        raise HotfixError(
            f"verify could not build the scenario ({summary}); this environment's openai "
            f"{openai.__version__} may be newer than the installed openai-agents supports"
        ) from None
    if failures:
        raise HotfixError(
            "verify FAILED: Runner.run cannot resume a rejected call on a conversation_id "
            + "; nor ".join(failures)
        )
    if tracker:
        raise HotfixError(
            f"verify FAILED at the tracker: {tracker}; Runner.run resumed every scenario in "
            "repro/resume_after_approval.py on this release, so only callers of "
            "hydrate_from_state() are hit"
        )
    return (
        "verify ok: resumed HITL runs (Runner.run on the in-process double, conversation_id) "
        "send every output produced before the interruption, and so does the tracker"
    )


def _replay_through_runner() -> list[str]:
    """Resume through Runner against the in-process double: repro/resume_after_approval.py."""
    import asyncio

    sys.path.insert(0, str(PATCHES.parent))
    try:
        from repro.resume_after_approval import verdicts
    except ModuleNotFoundError as error:
        if error.name not in {
            "repro",
            "repro.resume_after_approval",
            "release_tests",
            "release_tests.utils",
        }:
            raise
        raise HotfixError(f"run hotfix.py from a full checkout ({error})") from None
    results = asyncio.run(verdicts())
    return [f"next to {name} ({verdict})" for name, verdict in results.items() if verdict != "ok"]


def _replay_report_scenario() -> str:
    from openai.types.responses import ResponseFunctionToolCall

    from agents import Agent
    from agents.items import ModelResponse, ToolApprovalItem, ToolCallItem, ToolCallOutputItem
    from agents.run_internal.oai_conversation import OpenAIServerConversationTracker
    from agents.usage import Usage

    agent: Agent = Agent(name="verify")
    calls = [
        ResponseFunctionToolCall(
            id=f"fc_{call_id}",
            type="function_call",
            call_id=call_id,
            name=name,
            arguments="{}",
            status="completed",
        )
        for call_id, name in [("call_GATED", "run_cleanup"), ("call_PLAIN", "run_diagnostic")]
    ]

    def output(call_id: str, text: str) -> ToolCallOutputItem:
        raw = {"type": "function_call_output", "call_id": call_id, "output": text}
        return ToolCallOutputItem(agent=agent, raw_item=raw, output=text)  # type: ignore[arg-type]

    tracker = OpenAIServerConversationTracker(previous_response_id="resp_1")
    tracker.hydrate_from_state(
        original_input="go",
        generated_items=[
            *(ToolCallItem(agent=agent, raw_item=call) for call in calls),
            output("call_PLAIN", "plain ran"),
            ToolApprovalItem(agent=agent, raw_item=calls[0], tool_name="run_cleanup"),
        ],
        model_responses=[ModelResponse(output=list(calls), usage=Usage(), response_id="resp_1")],
    )
    prepared = tracker.prepare_input(
        "go",
        [
            *(ToolCallItem(agent=agent, raw_item=call) for call in calls),
            output("call_PLAIN", "plain ran"),
            output("call_GATED", "not approved"),
        ],
    )
    sent = sorted(item["call_id"] for item in prepared if isinstance(item, dict))  # type: ignore[index]
    if sent != ["call_GATED", "call_PLAIN"]:
        return (
            f"a resumed run would send outputs for {sent}, not for both calls, and the API "
            "would answer 400 'No tool output found for function call call_PLAIN'"
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("command", choices=["status", "apply", "verify", "revert"])
    parser.add_argument("--version", help="release the file belongs to (default: installed)")
    parser.add_argument(
        "--file", type=Path, help="oai_conversation.py to act on (default: installed)"
    )
    parser.add_argument(
        "--fix-only", action="store_true", help="apply: the fix without its companion patch"
    )
    args = parser.parse_args(argv)
    if args.fix_only and args.command != "apply":
        parser.error("--fix-only goes with apply only")
    try:
        if args.command == "verify":
            print(verify())
        elif args.command == "apply":
            print(apply(*resolve(args.version, args.file), fix_only=args.fix_only))
        else:
            action = {"status": status, "revert": revert}[args.command]
            print(action(*resolve(args.version, args.file)))
    except PatchError as error:
        print(f"hotfix: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
