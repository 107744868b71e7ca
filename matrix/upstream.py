"""`python -m matrix upstream`: what upstream would check, on its sdists, of the series offered to
it and of the patches for the reported release and the newest.

Each release's sdist is committed to a git repository as published, and its environment made the
way its Makefile makes it (`make sync`, from its uv.lock, with UV_FROZEN=1). On 0.13.3 and on the
newest release, their patches go on as `hotfix.py apply` puts them on; on the newest, the series
(patches/upstream/*.patch, or `--series`) goes on with `git am`. Then:

- upstream's checks pass: the Makefile's ruff, mypy and pyright, with its configuration, on the
  files the patches change (on the series' tree, with `--full`, the Makefile's targets whole);
  a check that fails with the patches runs again on the release as published, and if it fails
  there too, that is said in one line and does not count, except for tests that fail with the
  patches alone;
- the test files the series changes are exactly those in tests/;
- every test the series adds fails on the release as published;
- with the series, every test of the files it changes passes, with upstream's tests of the
  runner's resume paths;
- with each follow-up (patches/upstream/follow-up/*.patch) on top, in order, they pass again, and
  of the tests a follow-up adds at least one fails on the source before it; those that pass there
  guard what it must not break, and are named.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from releases import PATCHES, newest_release, release_for

from .index import download
from .paths import BUILD, CACHE, TESTS
from .pytest_server import PytestOutcome, PytestServer, plugin_env, read_outcomes, run_pytest
from .shell import MatrixError, run, say
from .trees import IDENTITY, unpack

SERIES = sorted((PATCHES / "upstream").glob("*.patch"))
FOLLOW_UP = sorted((PATCHES / "upstream" / "follow-up").glob("*.patch"))
# The release the issue was reported on, whose patches include the fix's companion.
REPORTED = "0.13.3"
# Upstream's tests of the runner's resume paths, run besides the files the series changes.
RESUME_TESTS = (
    "tests/test_agent_runner.py",
    "tests/test_agent_runner_streamed.py",
    "tests/test_tool_approval_call_id_reuse.py",
    "tests/test_run_state.py",
)
# What `make check` runs, but `typecheck` as its two targets and `tests` as its two parts, so
# that each is compared with the release as published on its own.
TARGETS = ("format-check", "lint", "mypy", "pyright", "tests-parallel", "tests-serial")
# The tag of the commit that holds the sdist as published.
PUBLISHED = "published"
LOGS = BUILD / "upstream"
# Variables that point uv or Python at another environment, project or interpreter than the
# tree's own .venv (a nox session sets VIRTUAL_ENV, UV_PROJECT_ENVIRONMENT and UV_PYTHON to its
# virtualenv), hand upstream's tests our keys, opt-ins and pytest options, or keep Python from
# writing bytecode, which each of the many processes on the tree would then compile again.
ELSEWHERE = (
    "PYTHONDONTWRITEBYTECODE",
    "VIRTUAL_ENV",
    "CONDA_",
    "PYTHONHOME",
    "PYTHONPATH",
    "UV_PROJECT",
    "UV_WORKING_DIR",
    "UV_SYSTEM_PYTHON",
    "UV_INTERNAL__",
    "UV_NO_SYNC",
    "OPENAI_",
    "HITL_",
    "PYTEST_ADDOPTS",
)
# A script a Makefile recipe runs.
SCRIPT = re.compile(r"[\w./-]+\.(?:py|sh)\b")
# A test function a patch adds.
ADDED_TEST = re.compile(r"^\+(?:async )?def (test_\w+)\(", re.M)


def tree_env(python: str) -> dict[str, str]:
    """The environment upstream's Makefile runs in: ours without what points elsewhere, with
    UV_FROZEN=1, as upstream's CI sets it, and the interpreter asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ELSEWHERE)}
    return {**env, "UV_FROZEN": "1", "UV_PYTHON": python}


def changed_files(patches: list[Path], under: str = "") -> list[str]:
    """The files the patches change, those under a folder if one is given."""
    found = re.findall(r"^diff --git a/(\S+) b/", "".join(p.read_text() for p in patches), re.M)
    return sorted({name for name in found if name.startswith(under)})


def file_checks(files: list[str]) -> dict[str, list[str]]:
    """The commands of upstream's Makefile on the files given, named by its targets: its ruff on
    all of them (its targets run ruff on the whole tree), mypy on those under src/ (`make mypy`
    checks src, or on 0.13.3 the whole tree) and pyright on its Python files, each with its
    configuration. A check without files is left out."""
    python = [name for name in files if name.endswith(".py")]
    source = [name for name in python if name.startswith("src/")]
    checks = {
        "format-check": (["uv", "run", "ruff", "format", "--check"], files),
        "lint": (["uv", "run", "ruff", "check"], files),
        "mypy": (["uv", "run", "mypy"], source),
        "pyright": (["uv", "run", "pyright", "--project", "pyrightconfig.json"], python),
    }
    return {name: [*command, *names] for name, (command, names) in checks.items() if names}


def published_repo(release: str, work: Path, env: dict[str, str]) -> Path:
    """The release's sdist, committed and tagged as published, with the environment `make sync`
    makes in it."""
    repo = unpack(download(f"openai_agents-{release}.tar.gz"), work, whole=True)
    for command in (
        ["init", "--quiet"],
        ["add", "."],
        [*IDENTITY, "commit", "--quiet", "-m", f"{release} sdist"],
        ["tag", PUBLISHED],
    ):
        run(["git", *command], cwd=repo)
    run(["make", "sync"], cwd=repo, env=env)
    return repo


def failures(repo: Path, command: list[str], env: dict[str, str], log: Path) -> set[str]:
    """What fails when the command runs in the repository: the tests pytest records as failed,
    or else the command itself; its output goes to the log."""
    outcomes = log.with_suffix(".jsonl")
    # The plugin appends, so a file left by an earlier run would add its tests to this one.
    outcomes.unlink(missing_ok=True)
    with log.open("w") as out:
        code = subprocess.run(
            command, cwd=repo, env=plugin_env(env, outcomes), stdout=out, stderr=out
        ).returncode
    if code == 0:
        return set()
    return (read_outcomes(outcomes).failed if outcomes.exists() else set()) or {shlex.join(command)}


def lacking(repo: Path, command: list[str], env: dict[str, str]) -> str:
    """The scripts a `make` command's recipe runs that the tree lacks, as the end of a sentence."""
    recipe = run(["make", "-n", *command[1:]], cwd=repo, env=env, check=False).stdout
    missing = sorted({name for name in SCRIPT.findall(recipe) if not (repo / name).exists()})
    return f" (its recipe runs {', '.join(missing)}, which the sdist lacks)" if missing else ""


def as_published(repo: Path, command: list[str], env: dict[str, str], log: Path) -> set[str]:
    """failures() on the release as published; the repository is back at its HEAD afterwards."""
    head = run(["git", "rev-parse", "HEAD"], cwd=repo).stdout.strip()
    run(["git", "checkout", "--quiet", PUBLISHED], cwd=repo)
    try:
        return failures(repo, command, env, log)
    finally:
        run(["git", "checkout", "--quiet", head], cwd=repo)


def run_checks(
    repo: Path, label: str, checks: dict[str, list[str]], env: dict[str, str], logs: Path
) -> int:
    """Run each check on the repository's HEAD, and one that fails there again on the release as
    published; say how each went. Returns how many fail because of the patches."""
    logs.mkdir(parents=True, exist_ok=True)
    counted = 0
    for name, command in checks.items():
        log = logs / f"{label}-{name}.log"
        started = time.monotonic()
        failed = failures(repo, command, env, log)
        where = f"in {time.monotonic() - started:.0f} s ({log})"
        if not failed:
            say(f"{label}: {name}: ok {where}")
            continue
        failed -= as_published(repo, command, env, logs / f"{label}-{name}.published.log")
        if failed:
            counted += 1
            say(f"{label}: {name}: FAILED with the patches {where}: {', '.join(sorted(failed))}")
            say("\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        else:
            missing = lacking(repo, command, env) if command[0] == "make" else ""
            say(f"{label}: {name}: fails on the release as published too{missing} {where}")
    return counted


def patched_release(repo: Path, release: str, env: dict[str, str]) -> int:
    """Upstream's checks on the files the release's patches change, with every patch `hotfix.py
    apply` puts on; the repository is then back as published. Returns how many fail."""
    patches = [PATCHES / name for name in release_for(release).patch_files]
    run(["git", *IDENTITY, "am", "--quiet", *patches], cwd=repo)
    failed = run_checks(repo, release, file_checks(changed_files(patches)), env, LOGS)
    run(["git", "reset", "--quiet", "--hard", PUBLISHED], cwd=repo)
    return failed


def test_name(node: str) -> str:
    """A pytest node id's function name, without its parameters."""
    return node.rpartition("::")[2].partition("[")[0]


def pytest_in(repo: Path, src: Path, env: dict[str, str], report: Path, files: list[str]):
    """Run pytest on files of the repository, in its environment, with `agents` from src."""
    with PytestServer(
        repo / ".venv" / "bin" / "python", repo, {**env, "PYTHONPATH": str(src)}
    ) as server:
        outcome = run_pytest(server, report, files, "")
    if outcome.errors:
        raise MatrixError(f"upstream series: {outcome.errors}")
    return outcome


def upstream(python: str, series: list[Path], *, full: bool) -> int:
    """The checks of the module's docstring; 1 if any fails."""
    if not series:
        raise MatrixError("no series: patches/upstream holds no patch")
    env = tree_env(python)
    newest = newest_release()
    test_files = changed_files(series, "tests/")
    with (
        tempfile.TemporaryDirectory(prefix="upstream-", dir=CACHE) as scratch,
        ThreadPoolExecutor(1) as reported_release,
    ):
        work = Path(scratch)
        # The reported release's checks run beside the newest's, for a second core to take.
        reported = reported_release.submit(
            lambda: patched_release(published_repo(REPORTED, work, env), REPORTED, env)
        )
        repo = published_repo(newest, work, env)
        failed = patched_release(repo, newest, env) + reported.result()
        published_src = work / "src-published"
        shutil.copytree(repo / "src", published_src)
        before = pytest_in(repo, published_src, env, work / "before.jsonl", test_files)
        run(["git", *IDENTITY, "am", "--quiet", *series], cwd=repo)
        say(f"git am on the {newest} sdist: {', '.join(patch.name for patch in series)}")
        checks = {t: ["make", t] for t in TARGETS} if full else file_checks(changed_files(series))
        failed += run_checks(repo, "series", checks, env, LOGS)
        published = pytest_in(repo, published_src, env, work / "published.jsonl", test_files)
        problems = added_tests_fail(newest, before, published)
        problems += series_tests(repo, work, env, test_files)
    problems += [f"{failed} of upstream's checks fail with the patches (above)"] if failed else []
    for problem in problems:
        say(f"  {problem}")
    return 1 if problems else 0


def added_tests_fail(release: str, before: PytestOutcome, published: PytestOutcome) -> list[str]:
    """Every test the series adds, run on the release as published, must fail there."""
    added = sorted((published.passed | published.failed) - before.passed - before.failed)
    passing = [node for node in added if node in published.passed]
    failing = len(added) - len(passing)
    say(f"{release} as published: {failing} of {len(added)} tests the series adds fail")
    problems = [] if added else ["the series adds no test"]
    return problems + [f"passes without the series, so it proves nothing: {n}" for n in passing]


def series_tests(repo: Path, work: Path, env: dict[str, str], test_files: list[str]) -> list[str]:
    """tests/ against the series' test files; the series' tests and upstream's resume tests with
    its source, then with each follow-up on top, each follow-up's tests before it."""
    ours = sorted(p.relative_to(TESTS.parent).as_posix() for p in TESTS.rglob("*.py"))
    problems = (
        [] if ours == test_files else [f"tests/ holds {ours}; the series changes {test_files}"]
    )
    problems += [
        f"{name} differs from the series' file"
        for name in test_files
        if (repo / name).read_bytes() != (TESTS.parent / name).read_bytes()
    ]
    files = [*test_files, *RESUME_TESTS]
    runs = [("the series", pytest_in(repo, repo / "src", env, work / "series.jsonl", files), files)]
    for number, follow_up in enumerate(FOLLOW_UP):
        before = work / f"src-before-{number}"
        shutil.copytree(repo / "src", before)
        run(["git", *IDENTITY, "am", "--quiet", follow_up], cwd=repo)
        files = sorted({*files, *changed_files([follow_up], "tests/")})
        result = pytest_in(repo, repo / "src", env, work / f"follow-up-{number}.jsonl", files)
        runs.append((f"the follow-up {follow_up.name}", result, files))
        names = set(ADDED_TEST.findall(follow_up.read_text()))
        added = sorted(n for n in result.passed | result.failed if test_name(n) in names)
        if added:
            old = pytest_in(repo, before, env, work / f"follow-up-{number}-before.jsonl", added)
            say(f"{follow_up.name}: {len(old.failed)} of {len(added)} tests it adds fail before it")
            if not old.failed:
                problems.append(f"{follow_up.name}: no test it adds fails before it")
            for node in sorted(old.passed):
                say(f"  guards, passes before it too: {node}")
    for name, result, files in runs:
        total = len(result.passed) + len(result.failed)
        say(f"with {name}: {len(result.passed)} of {total} pass ({', '.join(files)})")
        problems += [f"fails with {name}: {node}" for node in sorted(result.failed)]
    return problems
