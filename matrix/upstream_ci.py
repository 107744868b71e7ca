"""Upstream's own verification stack on an upstream tree, with the patches and without.

Copies a git checkout or an unpacked sdist to a scratch directory (the original is never touched),
installs the tree's own lock and runs what its Makefile and CI run (format check, lint with the
optional-truthiness script, mypy, mypy for win32, pyright, the suite under xdist and then serial)
in upstream CI's environment, with the patches applied (by default the fix for the tree's
oai_conversation.py; `--patch`, repeated, for a series such as patches/upstream), then the suite
again without them. A step or test failing only with the patches fails the run.

Standard library only: `python3 -m matrix upstream-ci --upstream PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import releases

from .pytest_server import plugin_env, read_outcomes
from .shell import MatrixError

TRACKER_FILE = "src/" + releases.MODULE
# What upstream's tests workflow sets for every test job (GitHub Actions also sets CI).
CI_ENV = {"OPENAI_API_KEY": "fake-for-tests", "UV_FROZEN": "1", "CI": "true"}
# Names and prefixes of variables that point uv or Python at another environment, project or
# interpreter than the tree's own .venv. A nox session sets VIRTUAL_ENV, UV_PROJECT_ENVIRONMENT and
# UV_PYTHON to its own virtualenv, and `uv run` sets UV_INTERNAL__PARENT_INTERPRETER; with them,
# the tree's `uv sync` would install there. UV_PYTHON is always replaced by the Python asked for.
ELSEWHERE = (
    "VIRTUAL_ENV",
    "CONDA_",
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONEXECUTABLE",
    "__PYVENV_LAUNCHER__",
    "UV_PROJECT",
    "UV_WORKING_DIR",
    "UV_SYSTEM_PYTHON",
    "UV_INTERNAL__",
)
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tmp"
)
# name, Makefile target, the command to use when the tree has no Makefile target for it.
STEPS = (
    ("format", "format-check", "uv run ruff format --check"),
    ("lint", "lint", "uv run ruff check"),
    ("mypy", "mypy", "uv run mypy src"),
    ("mypy-win32", None, None),
    ("pyright", "pyright", None),
    ("tests-parallel", "tests-parallel", None),
    ("tests-serial", "tests-serial", None),
)
SUITE = ("tests-parallel", "tests-serial")
OUTCOMES = ("passed", "failed", "skipped")
SCRIPT_PATH = re.compile(r"(?:^|\s)(\.(?:github|agents)/\S+\.(?:py|sh))")


@dataclass
class Step:
    name: str
    commands: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    verdict: str = ""
    seconds: float = 0.0
    unpatched: str = ""
    unpatched_seconds: float | None = None


@dataclass
class Suite:
    counts: dict[str, int] = field(default_factory=dict)
    ours: dict[str, int] = field(default_factory=dict)  # In test files the patches change.
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    upstream: str
    tree: str
    python: str = ""
    patch: str = ""
    steps: list[Step] = field(default_factory=list)
    patched: Suite = field(default_factory=Suite)
    unpatched: Suite | None = None
    only_with_patch: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    rerun_shared: list[str] = field(default_factory=list)  # Failed unpatched only on a rerun.
    flaky: dict[str, str] = field(default_factory=dict)  # Passed on a rerun with the patch.
    fixed_by_patch: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = False


def progress(message: str) -> None:
    print(f"[upstream-ci] {message}", flush=True)


def fix_for_tree(tree: Path) -> Path:
    """The patch whose base blob is the tree's oai_conversation.py."""
    blob = releases.git_blob((tree / TRACKER_FILE).read_bytes())
    if blob not in (fixes := releases.patches_by_blob()):
        raise MatrixError(f"no patch in patches/ fits {TRACKER_FILE} at blob {blob[:8]}")
    return fixes[blob]


def environment(python: str, workers: int) -> dict[str, str]:
    """Upstream CI's environment; nothing of ours (an environment, keys, opt-ins) leaks in."""
    ours = ("OPENAI_", "HITL_", "PYTEST_ADDOPTS", "UV_NO_SYNC")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours + ELSEWHERE)}
    threads = {"PYTEST_XDIST_AUTO_NUM_WORKERS": str(workers), "PYRIGHT_THREADS": str(workers)}
    return {**env, **CI_ENV, "UV_PYTHON": python, **threads}


def make_recipe(tree: Path, target: str, env: dict[str, str]) -> list[str] | None:
    """The shell lines `make` would run for a target, expanded; None when there is no target."""
    if not (tree / "Makefile").exists() or not shutil.which("make"):
        return None
    dry_run = ["make", "-n", "--no-print-directory", target]
    lines = subprocess.run(dry_run, cwd=tree, env=env, capture_output=True, text=True).stdout
    return [line for line in lines.splitlines() if line.strip()] or None


def workflow_command(tree: Path, needle: str) -> str | None:
    """A `run:` command of the tree's CI workflows that contains needle."""
    for workflow in sorted((tree / ".github" / "workflows").glob("*.yml")):
        for line in workflow.read_text().splitlines():
            command = line.strip().removeprefix("- ").removeprefix("run:").strip()
            if line.strip().startswith(("run:", "- run:")) and needle in command:
                return command
    return None


def plan(tree: Path, env: dict[str, str]) -> list[Step]:
    """Each step's commands from the tree's Makefile and CI, and what cannot run and why."""
    steps = []
    for name, target, fallback in STEPS:
        step = Step(name)
        lines = make_recipe(tree, target, env) if target else None
        if name == "mypy-win32":
            command = workflow_command(tree, "mypy --platform win32")
            lines = [command] if command else None
            if not (tree / ".github" / "workflows").is_dir():
                step.not_run.append("the tree has no .github/workflows to say whether CI runs it")
            elif not command:
                step.not_run.append("the tree's CI does not run it")
        elif lines is None and fallback:
            lines = [fallback]
            step.not_run.append(f"no `make {target}`; ran `{fallback}`")
        elif name == "pyright" and not (tree / "pyrightconfig.json").exists():
            lines = None
            step.not_run.append("the tree has no pyrightconfig.json")
        elif lines is None:
            step.not_run.append(f"the tree has no `make {target}`")
        for line in lines or []:
            missing = [p for p in SCRIPT_PATH.findall(line) if not (tree / p).exists()]
            if not missing:
                step.commands.append(line)
            elif name == "tests-serial":
                # run_serial_tests.py runs the test files that mention the marker, with -m serial.
                found = sorted((tree / "tests").rglob("test_*.py"))
                marked = [p for p in found if "pytest.mark.serial" in p.read_text(errors="ignore")]
                files = [str(p.relative_to(tree)) for p in marked]
                step.commands.append(shlex.join(["uv", "run", "pytest", *files, "-m", "serial"]))
                step.not_run.append(f"{missing[0]} is absent; ran the files it selects instead")
            else:
                step.not_run.append(f"`{line}`: {missing[0]} is absent from the tree")
        if not step.commands:
            step.verdict = "not run"
        steps.append(step)
    return steps


def run_step(step: Step, tree: Path, env: dict[str, str], logs: Path, label: str) -> int:
    """Run a step's commands in order, stopping at the first failure; returns its exit code."""
    log = logs / f"{label}-{step.name}.log"
    if step.name in SUITE:
        outcomes = outcomes_file(logs, label, step.name)
        # The plugin appends, so that a step that runs pytest more than once keeps every run; a
        # file left by an earlier upstream-ci must not add its tests.
        outcomes.unlink(missing_ok=True)
        env = plugin_env(env, outcomes)
    started = time.monotonic()
    code = 0
    with log.open("w") as out:
        for command in step.commands:
            out.write(f"$ {command}\n")
            out.flush()
            shell = ["bash", "-c", command]
            code = subprocess.run(shell, cwd=tree, env=env, stdout=out, stderr=out).returncode
            if code:
                break
    seconds = round(time.monotonic() - started, 1)
    setattr(step, "seconds" if label == "patched" else "unpatched_seconds", seconds)
    # pytest's 5 means no test was selected: a tree without serial tests.
    verdict = "ok" if code in ((0, 5) if step.name in SUITE else (0,)) else f"FAILED ({code})"
    progress(f"{label}: {step.name}: {verdict} in {seconds} s (log: {log})")
    return 0 if verdict == "ok" else code or 1


def outcomes_file(logs: Path, label: str, step: str) -> Path:
    """Where the outcomes plugin records a step's tests (or a rerun's)."""
    return logs / f"{label}-{step}.outcomes.jsonl"


def read_suite(logs: Path, label: str, ours: set[str]) -> Suite:
    """Each test's outcome from the suite steps' outcomes files; failures with their first line."""
    suite = Suite(dict.fromkeys(OUTCOMES, 0), dict.fromkeys(OUTCOMES, 0))
    for path in (outcomes_file(logs, label, step) for step in SUITE):
        if not path.exists():
            continue
        outcome = read_outcomes(path)
        by_result = {"passed": outcome.passed, "failed": outcome.failed, "skipped": outcome.skipped}
        for result, nodes in by_result.items():
            for node in nodes:
                suite.counts[result] += 1
                if node.split("::")[0] in ours:
                    suite.ours[result] += 1
        suite.failed.update({node: outcome.messages[node][:200] for node in sorted(outcome.failed)})
    return suite


def git(tree: Path, *args: str | Path) -> None:
    # The scratch tree is a repository of its own, so git applies relative to its root.
    result = subprocess.run(["git", *map(str, args)], cwd=tree, capture_output=True, text=True)
    if result.returncode:
        raise MatrixError(f"git {' '.join(map(str, args))}: {result.stderr.strip()}")


def check_tree(args: argparse.Namespace) -> Report:
    upstream = Path(args.upstream).resolve()
    if not (upstream / TRACKER_FILE).is_file():
        raise MatrixError(f"{upstream} is not an upstream tree: it has no {TRACKER_FILE}")
    started = time.monotonic()
    report = Report(str(upstream), "sdist or other tree without .git")
    if (upstream / ".git").exists():
        log = ["git", "-C", str(upstream), "log", "-1", "--format=git checkout %H of %cI"]
        report.tree = subprocess.run(log, capture_output=True, text=True).stdout.strip()
    patches = [Path(p).resolve() for p in args.patch] if args.patch else [fix_for_tree(upstream)]
    for given in patches:
        if not given.is_file():
            raise MatrixError(f"{given} is not a file")
    report.patch = " ".join(p.name for p in patches)
    logs = Path(args.out).resolve() / "upstream-ci"
    logs.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="upstream-ci-"))
    try:
        tree = scratch / "tree"
        shutil.copytree(upstream, tree, symlinks=True, ignore=COPY_IGNORE)
        git(tree, "init", "--quiet")
        git(tree, "apply", *patches)
        progress(f"copied {upstream} to {tree}; applied {report.patch}")
        env = environment(args.python, args.workers)
        sync = make_recipe(tree, "sync", env) or ["uv sync --all-extras --all-packages --group dev"]
        report.steps.append(Step("sync", sync, verdict="ok"))
        if run_step(report.steps[0], tree, env, logs, "patched"):
            raise MatrixError(f"the tree's lock did not install: {sync}")
        env["UV_NO_SYNC"] = "1"  # Every later `uv run` uses the environment just installed.
        version = [str(tree / ".venv" / "bin" / "python"), "-V"]
        report.python = subprocess.run(version, capture_output=True, text=True).stdout.strip()
        steps = plan(tree, env)
        report.steps += steps
        for step in steps:
            if step.commands:
                code = run_step(step, tree, env, logs, "patched")
                step.verdict = "ok" if not code else "FAILED"
        changed = "".join(patch.read_text() for patch in patches)
        ours = set(re.findall(r"^\+\+\+ b/(tests/\S+)$", changed, re.MULTILINE))
        report.patched = read_suite(logs, "patched", ours)
        if args.skip_unpatched:
            report.notes.append("unpatched tree not run (--skip-unpatched): every failure counts")
        else:
            git(tree, "apply", "-R", *reversed(patches))
            for step in steps:
                if step.commands and (step.name in SUITE or step.verdict == "FAILED"):
                    code = run_step(step, tree, env, logs, "unpatched")
                    step.unpatched = "ok" if not code else "FAILED"
            report.unpatched = read_suite(logs, "unpatched", ours)
            suspects = sorted(set(report.patched.failed) - set(report.unpatched.failed))
            if suspects:
                # Timing and test-order failures come and go: a suspect counts against the patch
                # only if it fails again with the patch and passes again without it.
                shared = rerun(suspects, tree, env, logs, "unpatched")
                git(tree, "apply", *patches)
                again = rerun([n for n in suspects if n not in shared], tree, env, logs, "patched")
                report.flaky = {n: report.patched.failed[n] for n in suspects if n not in again}
                report.rerun_shared = sorted(shared)
        compare(report, steps)
    finally:
        report.seconds = round(time.monotonic() - started, 1)
        if args.keep:
            progress(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def rerun(nodes: list[str], tree: Path, env: dict[str, str], logs: Path, label: str) -> set[str]:
    """Run tests again in one process; those that fail or cannot be run."""
    if not nodes:
        return set()
    outcomes = outcomes_file(logs, label, "rerun")
    outcomes.unlink(missing_ok=True)
    python = str(tree / ".venv" / "bin" / "python")
    with (logs / f"{label}-rerun.log").open("w") as out:
        command = [python, "-m", "pytest", "-p", "no:cacheprovider", *nodes]
        subprocess.run(command, cwd=tree, env=plugin_env(env, outcomes), stdout=out, stderr=out)
    if not outcomes.exists():
        return set(nodes)
    outcome = read_outcomes(outcomes)
    passed = outcome.passed | outcome.skipped
    progress(f"{label}: rerun of {len(nodes)} tests: {len(set(nodes) - passed)} failed")
    return set(nodes) - passed


def compare(report: Report, steps: list[Step]) -> None:
    patched = report.patched.failed
    before = set(report.unpatched.failed if report.unpatched else ()) | set(report.rerun_shared)
    only = set(patched) - before - set(report.flaky)
    report.only_with_patch = {n: patched[n] for n in sorted(only)}
    report.shared = {node: patched[node] for node in sorted(set(patched) & before)}
    report.fixed_by_patch = sorted(set(before) - set(patched))
    failing = [s for s in steps if s.verdict == "FAILED" and s.unpatched != "FAILED"]
    failing_steps = [s.name for s in failing if s.name not in SUITE]
    report.ok = not failing_steps and not report.only_with_patch
    if failing_steps:
        report.notes.append(f"steps that fail only with the patch: {', '.join(failing_steps)}")


def report_markdown(report: Report) -> str:
    lines = [
        "# Upstream's verification stack, patched and unpatched",
        "",
        f"- tree: `{report.upstream}` ({report.tree})",
        f"- {report.python}; `{report.patch}`",
        f"- environment: {', '.join(f'{k}={v}' for k, v in CI_ENV.items())}",
        f"- result: {'ok' if report.ok else 'FAILED'} in {report.seconds} s",
        "",
        "| step | patched | seconds | unpatched | seconds | commands, and what was not run |",
        "|---|---|---|---|---|---|",
    ]
    for s in report.steps:
        said = "; ".join([*(f"`{c}`" for c in s.commands), *(f"not run: {n}" for n in s.not_run)])
        again = "" if s.unpatched_seconds is None else s.unpatched_seconds
        lines.append(f"| {s.name} | {s.verdict} | {s.seconds} | {s.unpatched} | {again} | {said} |")
    lines += ["", "## Suite", "", f"- patched: {counts(report.patched)}"]
    lines.append(f"- of them in test files the patches change: {counts(report.patched, ours=True)}")
    lines.append(f"- unpatched: {counts(report.unpatched) if report.unpatched else 'not run'}")
    for title, failures in (
        ("Failing only with the patch", report.only_with_patch),
        ("Failing with the patch, then passing on a rerun with it", report.flaky),
        ("Failing patched and unpatched", report.shared),
    ):
        lines += ["", f"### {title} ({len(failures)})", ""]
        lines += [f"- `{n}`: {first}" for n, first in failures.items()] or ["none"]
    lines += ["", f"Failing only unpatched: {len(report.fixed_by_patch)} (ids in the JSON report)"]
    if report.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def counts(suite: Suite, *, ours: bool = False) -> str:
    numbers = suite.ours if ours else suite.counts
    return f"{sum(numbers.values())}: " + ", ".join(f"{n} {k}" for k, n in numbers.items())


def upstream_ci(args: argparse.Namespace) -> int:
    """Check the tree, then write the report as JSON and Markdown and print the Markdown."""
    report = check_tree(args)
    out = Path(args.out)
    payload = json.dumps(asdict(report), indent=2) + "\n"
    releases.write_atomically(out / "upstream-ci-report.json", payload)
    releases.write_atomically(out / "upstream-ci-report.md", text := report_markdown(report))
    print(text)
    return 0 if report.ok else 1
