"""Check, apply, verify and undo the oai_conversation.py fix on an installed openai-agents.

Run it with the Python of the environment to fix; it needs only the standard library:

    .venv/bin/python hotfix.py status
    .venv/bin/python hotfix.py apply
    .venv/bin/python hotfix.py verify
    .venv/bin/python hotfix.py revert

The patch is chosen by the installed file's git blob hash, which must match a patch's base
revision exactly (or its result, for `revert`); anything else is refused and nothing is written.
The file is replaced atomically, so an install is never left half-patched.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PATCHES = Path(__file__).resolve().parent / "patches"
SERIES = PATCHES / "series"
MODULE = "agents/run_internal/oai_conversation.py"
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class HotfixError(Exception):
    """A refusal: the message says why, and nothing was changed."""


@dataclass(frozen=True)
class Release:
    version: str
    patch: str
    unpatched_failures: frozenset[str]


@dataclass(frozen=True)
class Patch:
    path: Path
    base_blob: str
    fixed_blob: str
    hunks: tuple[tuple[int, int, tuple[str, ...]], ...]


def read_series(path: Path = SERIES) -> dict[str, Release]:
    """Parse `patches/series`: release, patch file, test groups failing without the patch."""
    releases: dict[str, Release] = {}
    for line in path.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) < 2:
            raise HotfixError(f"{path}: malformed line: {line!r}")
        version, patch, *groups = fields
        releases[version] = Release(version, patch, frozenset(g for g in groups if g != "-"))
    return releases


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def supported_range(releases: dict[str, Release]) -> str:
    numbered = sorted((v for v in releases if v != "main"), key=version_key)
    return f"{numbered[0]} to {numbered[-1]} and main"


def release_for(version: str, releases: dict[str, Release] | None = None) -> Release:
    releases = read_series() if releases is None else releases
    if version not in releases:
        raise HotfixError(
            f"openai-agents {version} is not in patches/series; "
            f"supported releases: {supported_range(releases)}"
        )
    return releases[version]


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_patch(path: Path) -> Patch:
    """Read a single-file unified diff made with `git format-patch --full-index`."""
    text = path.read_text()
    index = re.search(r"^index ([0-9a-f]{40})\.\.([0-9a-f]{40})", text, re.MULTILINE)
    if index is None:
        raise HotfixError(f"{path.name}: no full 'index' line; cannot tell which file it fits")
    hunks: list[tuple[int, int, list[str]]] = []
    for line in text[text.index("\n@@ ") + 1 :].splitlines(keepends=True):
        match = HUNK.match(line)
        if match:
            hunks.append((int(match.group(1)), int(match.group(3)), []))
        elif line[:1] in {" ", "-", "+"}:
            hunks[-1][2].append(line)
        else:
            break
    return Patch(path, index.group(1), index.group(2), tuple((a, b, tuple(h)) for a, b, h in hunks))


def apply_hunks(source: str, patch: Patch, *, reverse: bool = False) -> str:
    """Apply (or undo) the patch's hunks exactly; the caller has checked the base blob."""
    old_mark, new_mark = ("+", "-") if reverse else ("-", "+")
    lines = source.splitlines(keepends=True)
    result: list[str] = []
    position = 0
    for old_start, new_start, hunk in patch.hunks:
        start = (new_start if reverse else old_start) - 1
        result.extend(lines[position:start])
        position = start
        for line in hunk:
            mark, content = line[0], line[1:]
            if mark in {" ", old_mark}:
                if position >= len(lines) or lines[position] != content:
                    raise HotfixError(f"{patch.path.name}: hunk at line {start + 1} does not fit")
                position += 1
            if mark in {" ", new_mark}:
                result.append(content)
    result.extend(lines[position:])
    return "".join(result)


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


def inspect(path: Path, patch: Patch) -> str:
    """Return 'unpatched', 'patched', or raise for a file this patch does not fit."""
    blob = git_blob(path.read_bytes())
    if blob == patch.base_blob:
        return "unpatched"
    if blob == patch.fixed_blob:
        return "patched"
    raise HotfixError(
        f"{path} has blob {blob[:8]}, which is neither the release's file ({patch.base_blob[:8]}) "
        f"nor the fixed one ({patch.fixed_blob[:8]}): it was modified locally or belongs to "
        "another release; nothing changed"
    )


def write_atomically(path: Path, text: str, expected_blob: str) -> None:
    data = text.encode()
    if git_blob(data) != expected_blob:
        raise HotfixError(f"{path.name}: result does not match the patch's target; nothing changed")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve(version: str | None, path: Path | None) -> tuple[str, Path, Patch]:
    if path is None:
        installed_version, path = installed_module()
        version = version or installed_version
    assert version is not None
    release = release_for(version)
    return version, path, read_patch(PATCHES / release.patch)


def status(version: str, path: Path, patch: Patch) -> str:
    state = inspect(path, patch)
    if state == "patched":
        return f"openai-agents {version}: patched with {patch.path.name} ({path})"
    return (
        f"openai-agents {version}: AFFECTED, unpatched; fix with `hotfix.py apply` "
        f"({patch.path.name}, {path})"
    )


def apply(version: str, path: Path, patch: Patch) -> str:
    if inspect(path, patch) == "patched":
        raise HotfixError(f"openai-agents {version} is already patched ({path}); nothing changed")
    write_atomically(path, apply_hunks(path.read_text(), patch), patch.fixed_blob)
    return f"openai-agents {version}: applied {patch.path.name} to {path}"


def revert(version: str, path: Path, patch: Patch) -> str:
    if inspect(path, patch) == "unpatched":
        raise HotfixError(f"openai-agents {version} is not patched ({path}); nothing changed")
    write_atomically(path, apply_hunks(path.read_text(), patch, reverse=True), patch.base_blob)
    return f"openai-agents {version}: reverted {patch.path.name} from {path}"


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
        "verify ok: resumed HITL runs (Runner.run over loopback HTTP, conversation_id) send "
        "every output produced before the interruption, and so does the tracker"
    )


def _replay_through_runner() -> list[str]:
    """Resume through Runner against the loopback stand-in: repro/resume_after_approval.py."""
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["status", "apply", "verify", "revert"])
    parser.add_argument("--version", help="release the file belongs to (default: installed)")
    parser.add_argument(
        "--file", type=Path, help="oai_conversation.py to act on (default: installed)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "verify":
            print(verify())
        else:
            action = {"status": status, "apply": apply, "revert": revert}[args.command]
            print(action(*resolve(args.version, args.file)))
    except HotfixError as error:
        print(f"hotfix: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
