"""Check, apply, verify and undo the package's fixes on an installed openai-agents.

Run it from a checkout with the Python of the environment to fix; it needs only the standard
library and releases.py, next to it, which reads the manifest and the patches:

    .venv/bin/python hotfix.py status [--json]
    .venv/bin/python hotfix.py apply
    .venv/bin/python hotfix.py apply --fix-only
    .venv/bin/python hotfix.py verify
    .venv/bin/python hotfix.py revert
    python hotfix.py wheel --version 0.13.3 --out wheelhouse/

patches/manifest names, for each release, the fix of oai_conversation.py, its companion (releases
before 0.17.7, which record the tracker's items by id(), upstream #3621) and the next-turn patches
of the next-turn fix (the releases the package has next-turn patches for). `apply` puts
all of them on, `apply --fix-only` all but the companion, and `apply` on a partly patched install
adds what is missing. Each file's git blob must be one of the states its patches define; anything
else is refused and nothing is written. Every new file is computed whole before any is written,
and each is replaced atomically; if a later write fails, the files already written are put back,
so an install is never left half-patched.

`verify` replays the report's scenarios through the installed SDK; its code is in hotfix_verify.py,
read for that command only. `wheel` builds the release's own wheel with every patch on, for a
lockfile; its code is in hotfix_wheel.py, read for that command only (it needs pip and `wheel`).

Exit status, for scripts (`status --json` prints the state as JSON):
  0  done; for status, the state was read
  1  verify found a dropped output
  2  usage error (an unknown command, flag or combination)
  3  nothing to do: the install is already in the state asked for
  4  refused: an unsupported release, a file in no known state, or a patch that does not fit
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

# The manifest and the patches are read by releases.py, next to this file: run as a script, this
# file's directory comes first on sys.path, and so repro/ and hitl_testkit/ import for `verify`.
from releases import (
    MODULE,
    PATCHES,
    Patch,
    PatchError,
    Release,
    apply_hunks,
    git_blob,
    read_manifest,
    read_patch,
    release_for,
    write_atomically,
)

EXIT_VERIFY_FAILED, EXIT_NOTHING_TO_DO, EXIT_REFUSED = 1, 3, 4
UNPATCHED, FIX_ONLY, PATCHED, PARTLY = "unpatched", "fix-only", "patched", "partly patched"
# The file in a built wheel's .dist-info that lists its patches: hotfix_wheel.py writes it, and
# status and revert read it.
WHEEL_RECORD = "hotfix.json"


class HotfixError(PatchError):
    """A refusal: the message says why, and nothing was changed."""

    exit_status = EXIT_REFUSED


class NothingToDo(HotfixError):
    exit_status = EXIT_NOTHING_TO_DO


class VerifyFailed(HotfixError):
    exit_status = EXIT_VERIFY_FAILED


@dataclass(frozen=True)
class Fix:
    """A release's patches: the fix, its companion (or None) and the next-turn patches."""

    version: str
    fix: Patch
    companion: Patch | None
    next_turn: tuple[Patch, ...]

    def chains(self) -> dict[str, tuple[Patch, ...]]:
        """Each file's patches, in the order they go on, by the file's module path."""
        tracker = (self.fix, *([self.companion] if self.companion is not None else []))
        return {MODULE: tracker, **{patch.module: (patch,) for patch in self.next_turn}}

    def targets(self, *, fix_only: bool = False) -> dict[str, int]:
        """How many of each file's patches `apply` (or `apply --fix-only`) puts on."""
        return {
            module: 1 if fix_only and module == MODULE else len(chain)
            for module, chain in self.chains().items()
        }

    def names(self, modules: dict[str, tuple[int, int]] | None = None) -> list[str]:
        """The patch files, or those between each file's two counts of patches."""
        chains = self.chains()
        spans = modules or {module: (0, len(chain)) for module, chain in chains.items()}
        return [
            p.path.name for m, (a, b) in spans.items() for p in chains[m][min(a, b) : max(a, b)]
        ]


def read_fix(release: Release) -> Fix:
    """The release's patches, checked to follow each other."""
    patch = read_patch_file(release.fix_file)
    companion = None if release.companion_file is None else read_patch_file(release.companion_file)
    if companion is not None and companion.base_blob != patch.fixed_blob:
        raise HotfixError(
            f"{companion.path.name} applies to blob {companion.base_blob[:8]}, not to "
            f"{patch.path.name}'s result ({patch.fixed_blob[:8]}); nothing changed"
        )
    if patch.module != MODULE:
        raise HotfixError(f"{patch.path.name} changes {patch.module}, not {MODULE}")
    return Fix(
        release.version, patch, companion, tuple(map(read_patch_file, release.next_turn_files))
    )


def read_patch_file(name: str) -> Patch:
    path = PATCHES / name
    if not path.is_file():
        raise HotfixError(f"patches/{name}, named by patches/manifest, is missing; nothing changed")
    return read_patch(path)


def installed_site() -> tuple[str, Path]:
    """The installed release (without a built wheel's local label) and the directory that holds
    its `agents` package."""
    try:
        version = importlib.metadata.version("openai-agents").split("+", 1)[0]
    except importlib.metadata.PackageNotFoundError:
        raise HotfixError(f"openai-agents is not installed for {sys.executable}") from None
    spec = importlib.util.find_spec("agents")
    if spec is None or not spec.submodule_search_locations:
        raise HotfixError(f"the 'agents' package cannot be found by {sys.executable}")
    return version, Path(next(iter(spec.submodule_search_locations))).parent


def file_states(site: Path, fix: Fix) -> dict[str, int]:
    """How many of its patches each file carries; refused for a file in no known state."""
    states = {}
    for module, chain in fix.chains().items():
        path = site / module
        if not path.is_file():
            raise HotfixError(f"{path} does not exist; it is not openai-agents {fix.version}")
        blobs = [chain[0].base_blob, *(patch.fixed_blob for patch in chain)]
        blob = git_blob(path.read_bytes())
        if blob not in blobs:
            known = ", ".join(b[:8] for b in blobs)
            raise HotfixError(
                f"{path} has blob {blob[:8]}, none of the release's file and its patched states "
                f"({known}): it was modified locally, belongs to another release, or carries an "
                "earlier version of these patches; reinstall the release's own files (pip install "
                f"--force-reinstall --no-deps openai-agents=={fix.version}) and apply again; "
                "nothing changed"
            )
        states[module] = blobs.index(blob)
    return states


def summary(fix: Fix, states: dict[str, int]) -> str:
    if not any(states.values()):
        return UNPATCHED
    if states == fix.targets():
        return PATCHED
    if fix.companion is not None and states == fix.targets(fix_only=True):
        return FIX_ONLY
    return PARTLY


# The workaround after a run that ended on a tool output, on every release: the caller carries its
# outputs into the next turn (README, "Carry the tool outputs into the next turn").
CARRY = "[i.to_input_item() for i in result.new_items if isinstance(i, ToolCallOutputItem)]"


def next_turn_note(fix: Fix) -> str:
    """What a caller does after a run ends on a tool output, with the release's patches."""
    if fix.next_turn:
        return (
            "after a run ends on a tool output, the patches add its outputs to a conversation_id; "
            f"on previous_response_id, prepend {CARRY} to the next turn's input"
        )
    carried = [v for v, row in read_manifest().items() if row.next_turn_files]
    return (
        f"no next-turn fix for openai-agents {fix.version} (next-turn patches only for "
        f"{', '.join(carried) or 'no release'}): after a run ends on a tool output, prepend "
        f"{CARRY} to the next turn's input, or the server rejects it with 400 No tool output found"
    )


def built_wheel(site: Path) -> dict[str, object] | None:
    """What a wheel built by `hotfix.py wheel` says it carries, if the install is one."""
    for record in site.glob(f"openai_agents-*+*.dist-info/{WHEEL_RECORD}"):
        return json.loads(record.read_text())
    return None


def state_report(fix: Fix, site: Path) -> dict[str, object]:
    states = file_states(site, fix)
    chains = fix.chains()
    return {
        "wheel": built_wheel(site),
        "version": fix.version,
        "site": str(site),
        "state": summary(fix, states),
        "applied": fix.names({m: (0, n) for m, n in states.items()}),
        "missing": fix.names({m: (n, len(chains[m])) for m, n in states.items()}),
        "next_turn_fix": bool(fix.next_turn),
        "next_turn_note": next_turn_note(fix),
    }


def status(fix: Fix, site: Path) -> str:
    report = state_report(fix, site)
    state, missing = report["state"], ", ".join(report["missing"])  # type: ignore[arg-type]
    head = f"openai-agents {fix.version}"
    if state == UNPATCHED:
        line = f"{head}: AFFECTED, unpatched; fix with `hotfix.py apply` ({missing}, {site})"
    elif state == PATCHED:
        line = f"{head}: patched with {', '.join(report['applied'])} ({site})"  # type: ignore[arg-type]
    elif state == FIX_ONLY:
        line = (
            f"{head}: patched without {missing}; a live run can still drop a tool output "
            f"(upstream #3621): add it with `hotfix.py apply` ({site})"
        )
    else:
        line = f"{head}: partly patched, {missing} missing: `hotfix.py apply` adds it ({site})"
    wheel = report["wheel"]
    if isinstance(wheel, dict):
        line += (
            f"\ninstalled from the built wheel {wheel['version']}: {', '.join(wheel['patches'])}"
        )
    return f"{line}\n{report['next_turn_note']}"


def apply(fix: Fix, site: Path, *, fix_only: bool = False) -> str:
    """Bring every file to its patched state (with fix_only, the companion left off)."""
    states = file_states(site, fix)
    targets = fix.targets(fix_only=fix_only)
    if states == targets:
        raise NothingToDo(
            f"openai-agents {fix.version} is already patched with "
            f"{', '.join(fix.names({m: (0, n) for m, n in states.items()}))} ({site}); "
            "nothing changed"
        )
    if any(states[m] > targets[m] for m in states):
        raise HotfixError(
            f"openai-agents {fix.version} carries the companion ({site}); to keep the fix alone, "
            "run `hotfix.py revert` first; nothing changed"
        )
    spans = {m: (states[m], targets[m]) for m in states if states[m] != targets[m]}
    write_all(site, fix, spans)
    return f"openai-agents {fix.version}: applied {', '.join(fix.names(spans))} to {site}"


def revert(fix: Fix, site: Path) -> str:
    """Bring every file back to the release's own."""
    wheel = built_wheel(site)
    if wheel is not None:
        raise HotfixError(
            f"openai-agents {wheel['version']} is a built wheel ({site}); install the release's "
            "own wheel instead of reverting its files; nothing changed"
        )
    states = file_states(site, fix)
    if not any(states.values()):
        raise NothingToDo(f"openai-agents {fix.version} is not patched ({site}); nothing changed")
    spans = {m: (n, 0) for m, n in states.items() if n}
    write_all(site, fix, spans)
    return f"openai-agents {fix.version}: reverted {', '.join(fix.names(spans))} from {site}"


def write_all(site: Path, fix: Fix, spans: dict[str, tuple[int, int]]) -> None:
    """Take each file from one count of its patches to another: every new text is computed and
    checked first, then the files are written; if a write fails, those written are restored."""
    chains = fix.chains()
    planned: dict[Path, tuple[bytes, str]] = {}
    for module, (start, end) in spans.items():
        path = site / module
        original = path.read_bytes()
        text = original.decode()
        chain = chains[module]
        if end > start:
            for patch in chain[start:end]:
                text = apply_hunks(text, patch)
        else:
            for patch in reversed(chain[end:start]):
                text = apply_hunks(text, patch, reverse=True)
        blob = chain[end - 1].fixed_blob if end else chain[0].base_blob
        if git_blob(text.encode()) != blob:
            raise HotfixError(
                f"{path}: the result does not match the patch's target; nothing changed"
            )
        planned[path] = (original, text)
    written: list[Path] = []
    try:
        for path, (_, text) in planned.items():
            write_atomically(path, text)
            written.append(path)
    except BaseException:
        for path in written:
            write_atomically(path, planned[path][0])
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Exit status") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("command", choices=["status", "apply", "verify", "revert", "wheel"])
    parser.add_argument("--version", help="release the files belong to (default: installed)")
    parser.add_argument(
        "--site", type=Path, help="directory holding the agents package (default: installed)"
    )
    parser.add_argument(
        "--fix-only", action="store_true", help="apply: every patch but the companion"
    )
    parser.add_argument("--json", action="store_true", help="status: print the state as JSON")
    parser.add_argument("--out", type=Path, help="wheel: the directory to write it to")
    args = parser.parse_args(argv)
    if (args.command == "wheel") != (args.out is not None) or (
        args.command == "wheel" and args.version is None
    ):
        parser.error("wheel needs --version and --out, and --out goes with wheel only")
    if args.fix_only and args.command != "apply":
        parser.error("--fix-only goes with apply only")
    if args.json and args.command != "status":
        parser.error("--json goes with status only")
    try:
        # hotfix_wheel and hotfix_verify import this module as `hotfix`: run as a script, it is
        # `__main__`, and is entered under both names rather than loaded a second time.
        sys.modules.setdefault("hotfix", sys.modules[__name__])
        if args.command == "wheel":
            from hotfix_wheel import build_wheel

            print(build_wheel(read_fix(release_for(args.version)), args.out))
            return 0
        version, site = args.version, args.site
        if site is None:
            installed_version, site = installed_site()
            version = version or installed_version
        elif version is None:
            parser.error("--site needs --version")
        fix = read_fix(release_for(version))
        if args.command == "status":
            print(json.dumps(state_report(fix, site)) if args.json else status(fix, site))
        elif args.command == "apply":
            print(apply(fix, site, fix_only=args.fix_only))
        elif args.command == "revert":
            print(revert(fix, site))
        else:
            from hotfix_verify import verify

            print(verify(fix))
    except PatchError as error:
        print(f"hotfix: {error}", file=sys.stderr)
        return getattr(error, "exit_status", EXIT_REFUSED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
