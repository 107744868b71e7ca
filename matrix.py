"""Check the fix against openai-agents releases: the logic behind `nox -s matrix`.

For each release: fetch its wheel and sdist, install it in a fresh environment with the
dependencies upstream locked for it (the sdist's uv.lock), run our tests plus upstream's own tests
for this code unpatched, apply the patch with hotfix.py, run them again, and check that the patch
also applies to the sdist's tree with `git apply` and `git am`. Results go to build/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import hotfix

ROOT = Path(__file__).resolve().parent
TESTS = ROOT / "tests"
BUILD = ROOT / "build"
CACHE = Path(os.environ.get("HOTFIX_CACHE", ROOT / "build" / "cache"))
INDEX = "https://pypi.org/simple/openai-agents/"
UPSTREAM_GIT = "https://github.com/openai/openai-agents-python"
TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-mock", "inline-snapshot", "httpx")
GROUPS = {
    "tracker": "test_server_conversation_tracker_unsent_outputs.py",
    "runner": "test_hitl_server_conversation_resume.py",
    "live": "test_hitl_server_conversation_live.py",
    "stale-input-ids": "test_server_conversation_tracker_stale_input_ids.py",
    "guards": "test_server_conversation_tracker_resume_dedupe.py",
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
PYTEST_FLAGS = (
    "-p",
    "no:cacheprovider",
    "-q",
    "--strict-markers",
    "--tb=no",
    "-o",
    "addopts=",
    "-o",
    "junit_family=xunit1",
    # As in upstream's CI, where inline-snapshot disables itself: snapshot(x) is then plain x, and
    # the plugin does not re-parse every test file at the end of each run (about 1.5 s).
    "--inline-snapshot=disable",
)
_print_lock = threading.Lock()


class MatrixError(Exception):
    """A problem with the request or the environment, reported in one line."""


@dataclass
class Row:
    release: str
    revision: str = ""
    patch: str = ""
    openai: str = ""
    pydantic: str = ""
    expected_unpatched: list[str] = field(default_factory=list)
    unpatched: list[str] = field(default_factory=list)
    unpatched_error: str = ""
    patched: str = ""
    upstream: str = ""
    apply_check: str = ""
    seconds: float = 0.0
    ok: bool = False
    skipped: str = ""
    problems: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- selection


def select_releases(requested: list[str], *, full: bool) -> list[str]:
    """Return the releases to check: requested ones, the full range, or the quick default."""
    series = hotfix.read_series()
    numbered = sorted((v for v in series if v != "main"), key=hotfix.version_key)
    for version in requested:
        hotfix.release_for(version, series)
    if requested:
        return requested
    if full:
        return [*numbered, "main"]
    quick: dict[str, str] = {}
    for version in numbered:
        quick.setdefault(series[version].patch, version)
    return sorted({*quick.values(), numbered[-1]}, key=hotfix.version_key) + ["main"]


def check_series_is_complete() -> None:
    """Every release on the index from the first in the series on must be in the series."""
    series = hotfix.read_series()
    first = min((v for v in series if v != "main"), key=hotfix.version_key)
    missing = [
        v
        for v in index_versions()
        if hotfix.version_key(v) >= hotfix.version_key(first) and v not in series
    ]
    if missing:
        raise MatrixError(
            f"releases missing from patches/series: {', '.join(missing)}; "
            "add a row for each (a new file revision needs a new patch)"
        )


# ---------------------------------------------------------------- downloads


_index_lock = threading.Lock()
_index: dict[str, dict] = {}


def index_files() -> dict[str, dict]:
    """The package index's files for openai-agents, by file name (fetched once per run)."""
    with _index_lock:
        if not _index:
            request = urllib.request.Request(
                INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    files = json.load(response)["files"]
            except OSError as error:
                raise MatrixError(f"cannot read the package index {INDEX}: {error}") from None
            _index.update({f["filename"]: f for f in files})
        return _index


def index_versions() -> list[str]:
    versions = set()
    for name, info in index_files().items():
        if name.endswith(".whl") and not info.get("yanked"):
            versions.add(name.split("-")[1])
    return sorted(versions, key=hotfix.version_key)


def download(filename: str) -> Path:
    """Fetch one release file into the shared cache, checking its sha256."""
    target = CACHE / "files" / filename
    if target.exists():
        return target
    info = index_files().get(filename)
    if info is None:
        raise MatrixError(f"{filename} is not on the package index")
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(info["url"], timeout=120) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != info["hashes"]["sha256"]:
        raise MatrixError(f"{filename}: sha256 mismatch")
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def upload_time(filename: str) -> str:
    return index_files()[filename]["upload-time"]


# ---------------------------------------------------------------- environments


def run(args: list[str | Path], *, cwd: Path | None = None, env: dict | None = None, check=True):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise MatrixError(f"{' '.join(map(str, args[:4]))} failed: {' / '.join(tail)}")
    return result


def pins(release: str, source: Path, cutoff: str | None) -> Path:
    """Runtime pins from upstream's uv.lock plus its test tools, resolved once per release."""
    target = CACHE / "pins" / f"{release}.txt"
    if target.exists() and release != "main":
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    export = ["uv", "export", "--frozen", "--no-hashes", "--no-emit-project", "--quiet"]
    runtime = run([*export, "--no-dev"], cwd=source).stdout
    dev = run([*export, "--all-groups", "--all-extras"], cwd=source).stdout
    tools = [line for line in dev.splitlines() if line.split("==")[0] in TEST_TOOLS]
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.in"
        requirements.write_text(runtime + "\n".join(tools) + "\n")
        command = ["uv", "pip", "compile", "--quiet", "--no-header", requirements]
        if cutoff:
            command += ["--exclude-newer", cutoff]
        compiled = run(command).stdout
    partial = target.with_suffix(".part")
    partial.write_text(compiled)
    partial.replace(target)
    return target


def pinned(requirements: Path, name: str) -> str:
    for line in requirements.read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split("==")[1].split()[0]
    return "?"


def make_env(
    where: Path, requirements: Path, package: Path, python: str, patch: Path | None = None
) -> Path:
    """An environment with the release installed unpatched.

    Given the release's patch, an environment left by an earlier run is reused while its
    interpreter, pins and wheel are unchanged and its module is still the release's own.
    """
    interpreter = where / "bin" / "python"
    # The real interpreter, so that nox's per-session virtualenvs share the same environments.
    base = os.path.realpath(shutil.which(python) or python)
    stamp = f"{base}\n{package.resolve()}\n{requirements.read_text()}"
    modules = list(where.glob(f"lib/python*/site-packages/{hotfix.MODULE}"))
    stamp_file = where / "stamp"
    if patch and modules and stamp_file.is_file() and stamp_file.read_text() == stamp:
        try:
            if hotfix.inspect(modules[0], hotfix.read_patch(patch)) == "unpatched":
                return interpreter
        except hotfix.HotfixError:
            pass
    shutil.rmtree(where, ignore_errors=True)
    run(["uv", "venv", "--quiet", "--python", python, where])
    run(["uv", "pip", "sync", "--quiet", "--python", interpreter, requirements])
    run(["uv", "pip", "install", "--quiet", "--no-deps", "--python", interpreter, package])
    stamp_file.write_text(stamp)
    return interpreter


# ---------------------------------------------------------------- test runs


@dataclass
class Outcome:
    failed: set[str]
    passed: set[str]
    errors: str = ""


def our_test_files() -> list[str]:
    return [f"tests/{name}" for name in GROUPS.values()]


def upstream_test_files(tree: Path) -> list[str]:
    files: list[str] = []
    for pattern in UPSTREAM_TESTS:
        files += sorted(str(p.relative_to(tree)) for p in (tree / "tests").glob(pattern))
    return [f for f in dict.fromkeys(files) if f not in our_test_files()]


def run_pytest(server: PytestServer, report: Path, targets: list[str], select: bool) -> Outcome:
    """Run pytest in the release's environment and read each test's outcome from JUnit XML."""
    selection = ["-k", UPSTREAM_SELECTION] if select else []
    log = report.with_suffix(".log")
    returncode = server.pytest([*PYTEST_FLAGS, *selection, f"--junitxml={report}", *targets], log)
    if returncode not in (0, 1) or not report.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        return Outcome(set(), set(), f"pytest exited {returncode}: {' / '.join(tail)}")
    failed, passed = set(), set()
    for case in ElementTree.parse(report).iter("testcase"):
        path = case.get("file") or ""
        module = path.removesuffix(".py").replace("/", ".")
        classes = (case.get("classname") or "").removeprefix(module).strip(".")
        node = "::".join(part for part in (path, *classes.split("."), case.get("name")) if part)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(node)
        elif case.find("skipped") is None:
            passed.add(node)
    return Outcome(failed, passed)


def group_of(node: str) -> str | None:
    filename = node.split("::")[0].rsplit("/", 1)[-1]
    for group, name in GROUPS.items():
        if name == filename:
            return group
    return None


def failing_groups(outcome: Outcome) -> tuple[list[str], list[str]]:
    """Our groups that failed, and a note for each group that failed only in part."""
    failing, partial = [], []
    for group in GROUPS:
        failed = [n for n in outcome.failed if group_of(n) == group]
        passed = [n for n in outcome.passed if group_of(n) == group]
        if failed:
            failing.append(group)
            if passed:
                partial.append(f"{group} {len(failed)}/{len(failed) + len(passed)} failed")
    return failing, partial


# ---------------------------------------------------------------- pytest runs


# Imported once per environment by the pytest server, besides pytest; the SDK is not among them.
PRELOAD = ("openai", "pydantic", "httpx", "mcp", "griffe", "pytest_asyncio")


class PytestServer:
    """Forks each pytest run from one process per release that has imported the SDK's
    dependencies and pytest already. Each run imports `agents` afresh from disk, so it sees the
    file as patched or unpatched at that moment; only the shared start-up cost is paid once.
    """

    def __init__(self, interpreter: Path, tree: Path, env: dict):
        self.process = subprocess.Popen(
            [interpreter, __file__, "pytest-server"],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def pytest(self, args: list[str], log: Path) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "log": str(log)}) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise MatrixError("the pytest server in the release's environment exited")
        return int(reply)

    def __enter__(self) -> PytestServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


def serve_pytest() -> int:
    """The server's side: one JSON request per line in, one exit code per line out."""
    import gc
    import importlib

    sys.path[0] = os.getcwd()  # as `python -m pytest` would have it, not this file's folder
    import pytest

    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    # Keep what is shared out of the children's garbage collections (pytest runs several).
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(log, 1)
                os.dup2(log, 2)
                code = int(pytest.main(request["args"]))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


# ---------------------------------------------------------------- stand-in for the live test


class StandIn:
    """The loopback Responses API stand-in, run as a process for the live test's opt-in path."""

    def __init__(self, interpreter: Path, tree: Path):
        self.process = subprocess.Popen(
            [interpreter, "-m", "tests.utils.fake_responses_api"],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise MatrixError("the Responses API stand-in did not start")

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------- apply checks


def check_git_apply(tree: Path, patch: Path, tests_patch: Path) -> str:
    """`git apply --check` on the sdist tree, and `git am` of both patches on a copy of it."""
    run(["git", "apply", "--check", patch], cwd=tree)
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        module = repo / "src" / hotfix.MODULE
        module.parent.mkdir(parents=True)
        shutil.copy2(tree / "src" / hotfix.MODULE, module)
        identity = ["-c", "user.name=matrix", "-c", "user.email=matrix@localhost"]
        run(["git", "init", "--quiet"], cwd=repo)
        run(["git", "add", "."], cwd=repo)
        run(["git", *identity, "commit", "--quiet", "-m", "release"], cwd=repo)
        run(["git", *identity, "am", "--quiet", patch, tests_patch], cwd=repo)
    return "ok"


# ---------------------------------------------------------------- one release


@dataclass
class Source:
    """Where a release comes from: its installable package and its upstream tree."""

    package: Path
    tree: Path
    cutoff: str | None


def release_source(
    release: str, work: Path, upstream: Path | None, *, whole: bool = False
) -> Source | str:
    """Fetch and unpack a release; for main, use a checkout. A str return is a skip reason."""
    if release == "main":
        if upstream is None:
            upstream = CACHE / "upstream-main"
            shutil.rmtree(upstream, ignore_errors=True)
            clone = run(
                ["git", "clone", "--quiet", "--depth", "1", UPSTREAM_GIT, upstream], check=False
            )
            if clone.returncode != 0:
                reason = (clone.stderr.strip().splitlines() or ["unreachable"])[-1]
                return f"upstream main unreachable ({reason}); use --upstream PATH"
        return Source(upstream, upstream, None)
    wheel = download(f"openai_agents-{release}-py3-none-any.whl")
    sdist = download(f"openai_agents-{release}.tar.gz")
    return Source(wheel, unpack(sdist, work, whole=whole), upload_time(sdist.name))


SDIST_PARTS = ("src/agents/", "tests/", "pyproject.toml", "uv.lock")


def unpack(sdist: Path, work: Path, *, whole: bool) -> Path:
    """Unpack an sdist: whole into the work dir, or the parts the matrix reads into the cache."""
    root = sdist.name.removesuffix(".tar.gz")
    target = work if whole else CACHE / "trees"
    if (target / root).is_dir():
        return target / root
    scratch = Path(tempfile.mkdtemp(prefix=f"{root}-", dir=CACHE))
    with tarfile.open(sdist) as archive:
        members = [
            m
            for m in archive.getmembers()
            if whole or m.name.removeprefix(f"{root}/").startswith(SDIST_PARTS)
        ]
        archive.extractall(scratch, members=members, filter="data")
    target.mkdir(parents=True, exist_ok=True)
    try:
        (scratch / root).rename(target / root)
    except OSError:  # unpacked meanwhile by another job
        pass
    shutil.rmtree(scratch, ignore_errors=True)
    return target / root


def prepare_tree(upstream_tree: Path, work: Path) -> Path:
    """A copy of upstream's tests with ours dropped in unchanged, to run from."""
    tree = work / "tree"
    shutil.copytree(upstream_tree / "tests", tree / "tests")
    shutil.copy2(upstream_tree / "pyproject.toml", tree / "pyproject.toml")
    for ours in sorted(TESTS.rglob("*.py")):
        target = tree / ours.relative_to(ROOT)
        if target.exists() and target.read_bytes() != ours.read_bytes():
            raise MatrixError(f"{ours.relative_to(ROOT)} would overwrite upstream's file")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ours, target)
    return tree


@contextlib.contextmanager
def timed(row: Row, step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        row.steps[step] = round(time.monotonic() - started, 2)


def check_release(release: str, *, python: str, upstream: Path | None, keep: bool) -> Row:
    """Install one release and check the patch on it; problems are collected in the row."""
    started = time.monotonic()
    row = Row(release)
    series_row = hotfix.release_for(release)
    row.patch = series_row.patch
    row.expected_unpatched = [g for g in GROUPS if g in series_row.unpatched_failures]
    work = Path(tempfile.mkdtemp(prefix=f"matrix-{release}-", dir=CACHE))
    try:
        with timed(row, "fetch"):
            source = release_source(release, work, upstream)
        if isinstance(source, str):
            row.skipped, row.ok = source, True
            return row
        patch = hotfix.read_patch(hotfix.PATCHES / row.patch)
        row.revision = hotfix.git_blob((source.tree / "src" / hotfix.MODULE).read_bytes())[:8]
        if row.revision != patch.base_blob[:8]:
            raise MatrixError(
                f"{release}'s oai_conversation.py is revision {row.revision}, but "
                f"{row.patch} fits {patch.base_blob[:8]}: a new patch is needed"
            )
        with timed(row, "install"):
            requirements = pins(release, source.tree, source.cutoff)
            env_dir = CACHE / "envs" / release
            if release == "main":
                env_dir = work / "env"
            interpreter = make_env(
                env_dir, requirements, source.package, python, hotfix.PATCHES / row.patch
            )
        row.openai = pinned(requirements, "openai")
        row.pydantic = pinned(requirements, "pydantic")
        tree = prepare_tree(source.tree, work)
        with timed(row, "git"):
            row.apply_check = check_git_apply(source.tree, hotfix.PATCHES / row.patch, TESTS_PATCH)
        with StandIn(interpreter, tree) as standin:
            env = {**os.environ, "OPENAI_BASE_URL": standin.url, "OPENAI_API_KEY": "loopback"}
            env.pop("PYTHONPATH", None)
            # Reused environments then import from bytecode instead of compiling every time.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            with PytestServer(interpreter, tree, env) as server:
                check_tests(row, interpreter, tree, server, work)
        row.ok = not row.problems
    except (MatrixError, hotfix.HotfixError) as error:
        row.problems.append(str(error))
    finally:
        row.seconds = round(time.monotonic() - started, 1)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return row


def check_tests(row: Row, interpreter: Path, tree: Path, server: PytestServer, work: Path) -> None:
    """Ours unpatched, patch, ours and upstream's patched, and upstream's unpatched if needed."""
    ours = our_test_files()
    upstream_files = upstream_test_files(tree)
    cli = [interpreter, hotfix.__file__, "--version", row.release]
    with timed(row, "unpatched"):
        unpatched = run_pytest(server, work / "unpatched.xml", ours, False)
    row.unpatched, partial = failing_groups(unpatched)
    if unpatched.errors:
        row.problems.append(f"unpatched: {unpatched.errors}")
    elif row.unpatched != row.expected_unpatched:
        row.problems.append(
            f"unpatched failures {row.unpatched or ['none']} differ from patches/series "
            f"{row.expected_unpatched or ['none']}"
        )
    row.problems += [f"unpatched: only {note}" for note in partial]

    with timed(row, "apply"):
        run([*cli, "apply"], cwd=work)
        again = run([*cli, "apply"], cwd=work, check=False)
        if again.returncode == 0 or "already patched" not in again.stderr:
            row.problems.append("a second `hotfix.py apply` was not refused")
    with timed(row, "patched"):
        patched = run_pytest(server, work / "patched.xml", ours + upstream_files, True)
    if patched.errors:
        row.problems.append(f"patched: {patched.errors}")
    ours_failed = sorted(n for n in patched.failed if group_of(n))
    ours_passed = [n for n in patched.passed if group_of(n)]
    row.patched = f"{len(ours_failed)} FAILED" if ours_failed else f"{len(ours_passed)} passed"
    if ours_failed or not ours_passed:
        row.problems.append(f"patched: {', '.join(ours_failed) or 'none of our tests ran'}")

    upstream_failed = sorted(n for n in patched.failed if not group_of(n))
    upstream_total = len([n for n in patched.passed | patched.failed if not group_of(n)])
    with timed(row, "revert"):
        run([*cli, "revert"], cwd=work)
    if upstream_failed:
        # Only failures the unpatched SDK does not share count against the patch.
        before = run_pytest(server, work / "upstream.xml", upstream_failed, False)
        new = sorted(set(upstream_failed) - before.failed)
        if new:
            row.problems.append(f"upstream tests that fail only with the patch: {new}")
    row.upstream = f"{upstream_total - len(upstream_failed)}/{upstream_total} passed"
    if upstream_failed:
        row.upstream += f" ({len(upstream_failed)} fail unpatched too)"
    if not upstream_total:
        row.problems.append("no upstream test ran")


TESTS_PATCH = hotfix.PATCHES / "tests.patch"


# ---------------------------------------------------------------- report


COLUMNS = (
    "release",
    "file revision",
    "patch",
    "openai",
    "pydantic",
    "unpatched: failing groups",
    "patched",
    "upstream suite (patched)",
    "git apply / am",
    "seconds",
)


def row_cells(row: Row) -> list[str]:
    if row.skipped:
        return [row.release, "", row.patch, "", "", f"skipped: {row.skipped}", "", "", "", ""]
    unpatched = ", ".join(row.unpatched) or "none"
    if row.unpatched != row.expected_unpatched:
        unpatched += f" (series: {', '.join(row.expected_unpatched) or 'none'})"
    return [
        row.release,
        row.revision,
        row.patch,
        row.openai,
        row.pydantic,
        unpatched,
        row.patched,
        row.upstream,
        row.apply_check,
        f"{row.seconds:.1f}",
    ]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row_cells(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_report(rows: list[Row], wall: float) -> None:
    BUILD.mkdir(exist_ok=True)
    payload = {"wall_seconds": round(wall, 1), "rows": [asdict(row) for row in rows]}
    (BUILD / "matrix-report.json").write_text(json.dumps(payload, indent=2) + "\n")
    problems = [f"- {row.release}: {p}" for row in rows for p in row.problems]
    text = "# Fix matrix\n\n" + markdown(rows)
    text += f"\nWall time: {wall:.1f} s for {len(rows)} rows.\n"
    if problems:
        text += "\n## Problems\n\n" + "\n".join(problems) + "\n"
    (BUILD / "matrix-report.md").write_text(text)


def say(message: str) -> None:
    with _print_lock:
        print(message, flush=True)


# ---------------------------------------------------------------- documents


ISSUE = ROOT / "ISSUE.md"
TABLE_START = "<!-- affected-versions: generated by `nox -s issue_table`; do not edit -->"
TABLE_END = "<!-- end of affected-versions -->"


def affected_versions_table(report: dict) -> str:
    """Group consecutive releases with the same measured outcome into one row."""
    series = hotfix.read_series()
    rows = [r for r in report["rows"] if r["release"] != "main"]
    measured = {r["release"] for r in rows}
    missing = [v for v in series if v != "main" and v not in measured]
    if missing:
        raise MatrixError(f"the report lacks {', '.join(missing)}: run `nox -s matrix_full` first")
    if any(not r["ok"] for r in rows):
        raise MatrixError("the report has failed rows; fix them before publishing the table")

    def verdict(row: dict, group: str) -> str:
        return "**fails**" if group in row["unpatched"] else "passes"

    def key(row: dict) -> tuple:
        return (
            row["revision"],
            row["patch"],
            tuple(verdict(row, g) for g in ("tracker", "runner", "stale-input-ids")),
        )

    groups: list[list[dict]] = []
    for row in rows:
        if groups and key(groups[-1][-1]) == key(row):
            groups[-1].append(row)
        else:
            groups.append([row])
    lines = [
        "| releases | file revision | report's Part 1 (tracker) | resume over HTTP (runner) "
        "| #2798 address reuse | patch | with the patch |",
        "|---|---|---|---|---|---|---|",
    ]
    for group in groups:
        first, last = group[0], group[-1]
        span = first["release"] if first is last else f"{first['release']} – {last['release']}"
        lines.append(
            f"| {span} | `{first['revision']}` | {verdict(first, 'tracker')} "
            f"| {verdict(first, 'runner')} | {verdict(first, 'stale-input-ids')} "
            f"| `patches/{first['patch']}` | all pass |"
        )
    return "\n".join(lines) + "\n"


def issue_table(*, check: bool) -> int:
    report_path = BUILD / "matrix-report.json"
    if not report_path.exists():
        raise MatrixError("no build/matrix-report.json: run `nox -s matrix_full` first")
    table = affected_versions_table(json.loads(report_path.read_text()))
    text = ISSUE.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise MatrixError("ISSUE.md lacks the affected-versions markers")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    updated = f"{head}{TABLE_START}\n{table}{TABLE_END}{tail}"
    if check:
        if updated != text:
            print("ISSUE.md's affected-versions table differs from build/matrix-report.json;")
            print("run `nox -s issue_table` and commit the result.")
            return 1
        print("ISSUE.md's affected-versions table matches the measured matrix")
        return 0
    ISSUE.write_text(updated)
    print("ISSUE.md's affected-versions table regenerated")
    return 0


TESTS_PATCH_SUBJECT = "test: #3004 cover resumed HITL runs on server-managed conversations"
TESTS_PATCH_BODY = """\
Tracker-level tests for outputs produced after the latest model response
(the report's deterministic reproduction, the handoff case, the object
identity and fingerprint paths), guards that already-sent items stay
deduplicated, a deterministic test for #2798 that forces CPython to
reuse an address freed by hydration, and runner-level tests that drive
the real openai client against a strict Responses API stand-in on
127.0.0.1 for Runner.run and Runner.run_streamed, previous_response_id
and conversation_id, and reject, approve and mixed decisions.
"""


def tests_patch_text() -> str:
    """`git format-patch` of a commit adding our tests to upstream's tests/."""
    identity = {
        "GIT_AUTHOR_NAME": "openai-agents hotfix",
        "GIT_AUTHOR_EMAIL": "hotfix@users.noreply.github.com",
        "GIT_AUTHOR_DATE": "2026-11-24T00:00:00Z",
        "GIT_COMMITTER_NAME": "openai-agents hotfix",
        "GIT_COMMITTER_EMAIL": "hotfix@users.noreply.github.com",
        "GIT_COMMITTER_DATE": "2026-11-24T00:00:00Z",
    }
    env = {**os.environ, **identity}
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        run(["git", "init", "--quiet"], cwd=repo)
        (repo / "tests").mkdir()
        (repo / "tests" / "__init__.py").write_text("")
        run(["git", "add", "."], cwd=repo)
        run(["git", "commit", "--quiet", "-m", "upstream"], cwd=repo, env=env)
        for ours in sorted(TESTS.rglob("*.py")):
            if ours.name == "__init__.py" and ours.parent == TESTS:
                continue
            target = repo / ours.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ours, target)
        run(["git", "add", "."], cwd=repo)
        message = f"{TESTS_PATCH_SUBJECT}\n\n{TESTS_PATCH_BODY}"
        run(["git", "commit", "--quiet", "-m", message], cwd=repo, env=env)
        return run(
            [
                "git",
                "format-patch",
                "-1",
                "--stdout",
                "--zero-commit",
                "--full-index",
                "--no-signature",
            ],
            cwd=repo,
        ).stdout


def tests_patch(*, check: bool) -> int:
    text = tests_patch_text()
    if check:
        if not TESTS_PATCH.exists() or TESTS_PATCH.read_text() != text:
            print("patches/tests.patch is out of date with tests/; run `nox -s tests_patch`")
            return 1
        print("patches/tests.patch adds exactly the files in tests/")
        return 0
    TESTS_PATCH.write_text(text)
    print("patches/tests.patch regenerated")
    return 0


# ---------------------------------------------------------------- upstream's gates


GATE_TOOLS = ("ruff", "mypy")


def gates(releases: list[str], python: str) -> int:
    """Upstream's ruff and mypy, with the sdist's own configuration, on the patched tree."""
    failures = 0
    for release in releases:
        work = Path(tempfile.mkdtemp(prefix=f"gates-{release}-", dir=CACHE))
        try:
            source = release_source(release, work, None, whole=True)
            assert not isinstance(source, str)
            tree = source.tree
            run(["git", "apply", hotfix.PATCHES / hotfix.release_for(release).patch], cwd=tree)
            for ours in sorted(TESTS.rglob("*.py")):
                target = tree / ours.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ours, target)
            requirements = pins(release, tree, source.cutoff)
            export = ["uv", "export", "--frozen", "--no-hashes", "--quiet", "--only-group", "dev"]
            dev = run([*export, "--no-emit-project"], cwd=tree).stdout.splitlines()
            tools = [line for line in dev if line.split("==")[0] in GATE_TOOLS]
            interpreter = make_env(work / "env", requirements, source.package, python)
            run(["uv", "pip", "install", "--quiet", "--python", interpreter, *tools])
            files = ["src/" + hotfix.MODULE] + [
                str(p.relative_to(ROOT)) for p in sorted(TESTS.rglob("*.py"))
            ]
            bin_dir = interpreter.parent
            for gate in (
                [bin_dir / "ruff", "check", *files],
                [bin_dir / "ruff", "format", "--check", *files],
                [bin_dir / "mypy", "--follow-imports=silent", *files],
            ):
                result = run(gate, cwd=tree, check=False)
                name = " ".join(str(part) for part in gate[:2]).replace(str(bin_dir) + "/", "")
                verdict = "ok" if result.returncode == 0 else "FAILED"
                say(f"{release} ({', '.join(tools)}): {name}: {verdict}")
                if result.returncode:
                    failures += 1
                    say((result.stdout + result.stderr).strip())
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


# ---------------------------------------------------------------- command line


def run_matrix(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nox -s matrix --", description=__doc__)
    parser.add_argument("releases", nargs="*", help="releases to check (default: quick set)")
    parser.add_argument("--full", action="store_true", help="every release in patches/series")
    parser.add_argument("--upstream", type=Path, help="local upstream checkout to use as main")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the envs")
    # Three jobs per core: much of a release's time is spent waiting (loopback HTTP, upstream's
    # retry back-offs, subprocesses). Warm full range on 2 cores: 306 s with 2 jobs, 250 s with 3,
    # 222 s with 4, 199 s with 6; its CPU time, about 380 s, puts the floor near 190 s.
    parser.add_argument("--jobs", type=int, default=3 * (os.cpu_count() or 1))
    parser.add_argument("--keep", action="store_true", help="keep each release's work dir")
    args = parser.parse_args(argv)
    if args.upstream is not None and not (args.upstream / "src" / hotfix.MODULE).is_file():
        raise MatrixError(f"{args.upstream} is not an upstream checkout (no src/{hotfix.MODULE})")
    releases = select_releases(args.releases, full=args.full)
    check_series_is_complete()
    say(f"checking {len(releases)} releases with {args.jobs} jobs: {' '.join(releases)}")
    started = time.monotonic()
    rows: dict[str, Row] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # Newest first: they run the most upstream tests, so the slowest start first and the last
        # wave of jobs is short.
        futures = [
            pool.submit(
                check_release, r, python=args.python, upstream=args.upstream, keep=args.keep
            )
            for r in reversed(releases)
        ]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row = future.result()
            rows[row.release] = row
            verdict = "skipped" if row.skipped else ("ok" if row.ok else "FAILED")
            detail = (
                row.skipped
                or "; ".join(row.problems)
                or (
                    f"unpatched fails {', '.join(row.unpatched) or 'nothing'}, "
                    f"patched {row.patched}"
                )
            )
            say(
                f"[{done}/{len(releases)}] {row.release:<7} {verdict:<7} "
                f"{row.seconds:5.1f}s {detail}"
            )
    ordered = [rows[r] for r in releases]
    wall = time.monotonic() - started
    write_report(ordered, wall)
    failed = [row.release for row in ordered if not row.ok]
    say(f"\n{markdown(ordered)}")
    say(
        f"{len(ordered) - len(failed)} ok, {len(failed)} failed"
        f"{': ' + ' '.join(failed) if failed else ''}; {wall:.1f} s wall; report in build/"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["pytest-server"]:
        return serve_pytest()
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        if argv[:1] == ["tests-patch"]:
            return tests_patch(check="--check" in argv)
        if argv[:1] == ["issue-table"]:
            return issue_table(check="--check" in argv)
        if argv[:1] == ["gates"]:
            numbered = sorted(
                (v for v in hotfix.read_series() if v != "main"), key=hotfix.version_key
            )
            return gates(argv[1:] or ["0.13.3", numbered[-1]], sys.executable)
        return run_matrix(argv)
    except (MatrixError, hotfix.HotfixError) as error:
        print(f"matrix: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
